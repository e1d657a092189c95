"""Content cards, prices (read-only) and seller info (wb-api.md §3, §7).

`filter.withPhoto` follows the April 2026 spec: ``-1`` all, ``1`` only with photos, ``0`` (the
default) and ``2`` only without photos, so a client that forgets ``-1`` visibly misses cards.
`textSearch` matches a vendor code (case-insensitive substring), an exact nmID or an exact
barcode. The response `cursor.total` is the number of cards in this page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.wb.context import Ctx, Route
from tests.fakes.wb.responses import json_response
from tests.fakes.wb.state import Card, fmt_card_time, parse_time_us

CARDS_LIMIT_MAX = 100
CARDS_LIMIT_DEFAULT = 10
PRICES_LIMIT_MAX = 1000
NM_LIST_MAX = 1000
_BIG = 1 << 62


def _content_error(text: str) -> web.Response:
    return json_response(
        {"data": None, "error": True, "errorText": text, "additionalErrors": None}, 400
    )


def _prices_error() -> web.Response:
    return json_response(
        {"data": None, "error": True, "errorText": "Invalid request parameters"}, 400
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _card_filter(flt: dict[str, Any]) -> Callable[[Card], bool] | str:
    """A predicate for `settings.filter`, or an error text."""
    with_photo = flt.get("withPhoto", 0)
    if not _is_int(with_photo) or with_photo not in (-1, 0, 1, 2):
        return "Invalid value for withPhoto"
    search = flt.get("textSearch") or ""
    if not isinstance(search, str):
        return "Invalid value for textSearch"
    tag_ids = set(flt.get("tagIDs") or [])
    object_ids = set(flt.get("objectIDs") or [])
    brands = {b.lower() for b in flt.get("brands") or [] if isinstance(b, str)}
    imt_id = flt.get("imtID") or 0
    needle = search.strip().lower()

    def match(card: Card) -> bool:
        if with_photo == 1 and card.photo_count == 0:
            return False
        if with_photo in (0, 2) and card.photo_count > 0:
            return False
        if object_ids and card.subject_id not in object_ids:
            return False
        if brands and card.brand.lower() not in brands:
            return False
        if imt_id and card.imt_id != imt_id:
            return False
        if tag_ids and not tag_ids & {t.get("id") for t in card.tags}:
            return False
        if needle:
            return (
                needle in card.vendor_code.lower()
                or needle == str(card.nm_id)
                or any(needle in s.skus for s in card.sizes)
            )
        return True

    return match


async def cards_list(ctx: Ctx) -> web.StreamResponse:
    try:
        body = json.loads(await ctx.request.read() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return web.Response(status=400, text="Request body can not be decoded")
    if not isinstance(body, dict):
        return web.Response(status=400, text="Request body can not be decoded")
    settings = body.get("settings") or {}
    if not isinstance(settings, dict):
        return _content_error("Invalid value for settings")
    sort = settings.get("sort") or {}
    flt = settings.get("filter") or {}
    cursor = settings.get("cursor") or {}
    if not all(isinstance(x, dict) for x in (sort, flt, cursor)):
        return _content_error("Invalid value for settings")
    ascending = bool(sort.get("ascending", False))
    limit = cursor.get("limit", CARDS_LIMIT_DEFAULT)
    if not _is_int(limit) or not 1 <= limit <= CARDS_LIMIT_MAX:
        return _content_error(f"Invalid value for limit: must be between 1 and {CARDS_LIMIT_MAX}")
    after: tuple[int, int] | None = None
    updated_at, nm_id = cursor.get("updatedAt"), cursor.get("nmID")
    if updated_at:
        if not isinstance(updated_at, str):
            return _content_error("Invalid value for updatedAt")
        try:
            updated_us = parse_time_us(updated_at)
        except ValueError:
            return _content_error("Invalid value for updatedAt")
        if nm_id is not None and not _is_int(nm_id):
            return _content_error("Invalid value for nmID")
        after = (updated_us, nm_id if nm_id else (0 if ascending else _BIG))
    match = _card_filter(flt)
    if isinstance(match, str):
        return _content_error(match)
    page = ctx.seller.cards_page(ascending=ascending, limit=limit, after=after, match=match)
    out_cursor: dict[str, Any] = {"total": len(page)}
    if page:
        out_cursor = {
            "updatedAt": fmt_card_time(page[-1].updated_us),
            "nmID": page[-1].nm_id,
            "total": len(page),
        }
    elif after is not None:
        out_cursor = {"updatedAt": updated_at, "nmID": nm_id or 0, "total": 0}
    return json_response({"cards": [card.to_json() for card in page], "cursor": out_cursor})


def _goods(ctx: Ctx, nm_ids: list[int]) -> web.Response:
    prices = ctx.seller.prices
    return json_response(
        {
            "data": {"listGoods": [prices[nm].to_json() for nm in nm_ids if nm in prices]},
            "error": False,
            "errorText": "",
        }
    )


async def goods_filter(ctx: Ctx) -> web.StreamResponse:
    q = ctx.request.query
    try:
        limit = int(q["limit"], 10)
        offset = int(q.get("offset") or "0", 10)
        nm_filter = int(q["filterNmID"], 10) if q.get("filterNmID") else None
    except (KeyError, ValueError):
        return _prices_error()
    if not 1 <= limit <= PRICES_LIMIT_MAX or offset < 0:
        return _prices_error()
    order = ctx.seller.prices_sorted() if nm_filter is None else [nm_filter]
    return _goods(ctx, order[offset : offset + limit])


async def goods_filter_post(ctx: Ctx) -> web.StreamResponse:
    try:
        body = json.loads(await ctx.request.read())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _prices_error()
    nm_list = body.get("nmList") if isinstance(body, dict) else None
    if (
        not isinstance(nm_list, list)
        or not 1 <= len(nm_list) <= NM_LIST_MAX
        or not all(_is_int(nm) for nm in nm_list)
    ):
        return _prices_error()
    return _goods(ctx, list(dict.fromkeys(nm_list)))


async def seller_info(ctx: Ctx) -> web.StreamResponse:
    return json_response(ctx.seller.seller.to_json())


ROUTES = [
    Route("content", "POST", "/content/v2/get/cards/list", cards_list, "content"),
    Route("prices", "GET", "/api/v2/list/goods/filter", goods_filter, "prices"),
    Route("prices", "POST", "/api/v2/list/goods/filter", goods_filter_post, "prices"),
    Route("common", "GET", "/api/v1/seller-info", seller_info, "seller_info"),
]
