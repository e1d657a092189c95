"""Questions sync: both lists by date windows (WB caps take + skip at 10,000)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from db.models import StoreRow
from db.repos import questions as questions_repo
from services.sync.base import Progress, SyncOptions, SyncResult, SyncRun, SyncStep, store_rows
from services.wb.client import WBClient
from services.wb.models import Question


def question_upsert(q: Question) -> questions_repo.QuestionUpsert:
    pd = q.product_details
    answer = q.raw.get("answer") if q.raw else None
    return questions_repo.QuestionUpsert(
        id=q.id,
        text=q.text,
        created_date=q.created_date,
        state=q.state,
        was_viewed=q.was_viewed,
        is_answered=q.answer is not None and bool(q.answer.text.strip()),
        answer=answer,
        product_nm_id=pd.nm_id,
        product_name=pd.product_name or f"Товар {pd.nm_id}",
        product_supplier_article=pd.supplier_article,
        product_brand_name=pd.brand_name,
    )


async def sync_questions(
    run: SyncRun,
    store: StoreRow,
    result: SyncResult,
    now: datetime,
    *,
    client: WBClient,
    options: SyncOptions,
    since: datetime | None,
    progress: Progress | None = None,
) -> None:
    if result.full or since is None:
        start_from = options.history_start
    else:
        start_from = since - options.incremental_overlap
    end = int(now.timestamp())
    take = options.questions_take

    async def write(rows: Sequence[questions_repo.QuestionUpsert]) -> tuple[int, int]:
        return await questions_repo.upsert_questions(run.pool, store.id, store.owner_id, rows)

    for answered in (False, True):
        start = int(start_from.timestamp())
        skip = 0
        while True:
            page = await client.list_questions(
                answered, take, skip, order="dateAsc", date_from=start, date_to=end
            )
            items = page.questions
            await run.beat()
            for inserted, updated in await store_rows(
                [question_upsert(q) for q in items], write, row_id=lambda q: q.id, result=result
            ):
                result.inserted += inserted
                result.updated += updated
            result.fetched += len(items)
            if progress:
                progress(SyncStep.QUESTIONS, result.fetched)
            if len(items) < take:
                break
            skip += take
            if skip + take > options.questions_window_cap:
                last = int(items[-1].created_date.timestamp())
                if last <= start:
                    raise RuntimeError("more questions in one second than WB lets us page through")
                start, skip = last, 0
