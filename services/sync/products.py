"""Products sync: WB content cards (cursor paging) and, where the token allows, prices."""

from __future__ import annotations

from collections.abc import Sequence

from db.models import StoreRow
from db.repos import products as products_repo
from services.sync.base import Progress, SyncResult, SyncRun, SyncStep, store_rows
from services.wb.client import WBClient
from services.wb.errors import WBAuthError
from services.wb.models import Card


def card_upsert(card: Card) -> products_repo.CardUpsert:
    photo = card.photos[0] if card.photos else None
    image = (photo.big or photo.square or photo.tm) if photo else None
    return products_repo.CardUpsert(
        wb_product_id=str(card.nm_id),
        name=card.title or card.subject_name or f"Товар {card.nm_id}",
        vendor_code=card.vendor_code,
        image_url=image,
        wb_api_data=card.raw or card.model_dump(by_alias=True, mode="json"),
    )


async def sync_products(
    run: SyncRun,
    store: StoreRow,
    result: SyncResult,
    *,
    client: WBClient,
    page_size: int = 100,
    progress: Progress | None = None,
) -> None:
    async def write(rows: Sequence[products_repo.CardUpsert]) -> tuple[int, int]:
        return await products_repo.upsert_cards(run.pool, store.id, store.owner_id, rows)

    cursor = None
    while True:
        page = await client.list_cards(limit=page_size, cursor=cursor)
        await run.beat()
        for inserted, updated in await store_rows(
            [card_upsert(c) for c in page.cards],
            write,
            row_id=lambda c: c.wb_product_id,
            result=result,
        ):
            result.inserted += inserted
            result.updated += updated
        result.fetched += len(page.cards)
        if progress:
            progress(SyncStep.PRODUCTS, result.fetched)
        if page.cursor.total < page_size or not page.cards:
            break
        cursor = page.cursor
    await _sync_prices(run, store, client)


async def _sync_prices(run: SyncRun, store: StoreRow, client: WBClient) -> None:
    """Prices are a nicety: a token without the Prices category just skips them."""
    offset, limit = 0, 1000
    prices: dict[str, int] = {}
    try:
        while True:
            goods = await client.list_prices(limit, offset)
            for g in goods:
                sizes = [p for s in g.sizes if (p := s.discounted_price or s.price)]
                if sizes:
                    prices[str(g.nm_id)] = round(min(sizes))
            if len(goods) < limit:
                break
            offset += limit
    except WBAuthError:
        return
    await run.beat()
    await products_repo.set_prices(run.pool, store.id, prices)
