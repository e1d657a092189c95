"""The sync engine against the WB emulator and a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from services.sync.base import SyncOptions
from services.sync.service import SyncService
from services.wb.client import RetryPolicy, WBUrls
from services.wb.factory import WBClientFactory
from services.wb.limits import LimitsConfig, MemoryRateLimiter
from tests.fakes.wb.app import WBEmulator
from tests.fakes.wb.context import EmulatorConfig
from tests.fakes.wb.generator import generate_shop
from tests.support.stores import make_store, make_user

# Small pages and a small skip cap exercise window splitting on a small shop.
OPTIONS = SyncOptions(
    feedbacks_take=250,
    feedbacks_skip_cap=1000,
    questions_take=100,
    questions_window_cap=300,
)
SCALE = 200.0  # WB's limits, 200 times faster on both sides


@pytest.fixture
async def wb() -> AsyncIterator[WBEmulator]:
    shop = generate_shop(7, reviews=2500, products=25, questions=300, chats=12)
    config = EmulatorConfig(limit_scale=SCALE)
    async with WBEmulator(shop, config=config) as emulator:
        yield emulator


@pytest.fixture
async def factory(wb: WBEmulator) -> AsyncIterator[WBClientFactory]:
    http = httpx.AsyncClient(timeout=httpx.Timeout(2.0))
    # The client keeps to 80% of the emulator's budget: a loaded machine bunches arrivals.
    limiter = MemoryRateLimiter(LimitsConfig(scale=SCALE * 0.8))
    retry = RetryPolicy(max_attempts=6, base_backoff=0.01, max_backoff=0.05, jitter=False)
    yield WBClientFactory(WBUrls.from_mapping(wb.urls), http, limiter, retry)
    await http.aclose()


@pytest.fixture
async def store_id(pool: asyncpg.Pool, wb: WBEmulator) -> str:
    owner = await make_user(pool)
    return await make_store(pool, owner, wb.token())


@pytest.fixture
def service(pool: asyncpg.Pool, factory: WBClientFactory) -> SyncService:
    return SyncService(pool, factory, OPTIONS)


async def one(pool: asyncpg.Pool, sql: str, *args: object) -> asyncpg.Record:
    row = await pool.fetchrow(sql, *args)
    assert row is not None, sql
    return row


def wb_review_ids(wb: WBEmulator) -> set[str]:
    return set(wb.state.feedbacks)


async def db_review_ids(pool: asyncpg.Pool, store_id: str) -> set[str]:
    rows = await pool.fetch("SELECT id FROM reviews WHERE store_id = $1", store_id)
    return {r["id"] for r in rows}


async def test_first_sync_is_full_and_complete(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    results = await service.sync_all(store_id)
    assert [r.kind for r in results] == ["products", "reviews", "questions", "chats"]
    for r in results:
        assert r.ok, r
        assert r.full and r.backfill, "the first sync is a full backfill"
    reviews = results[1]
    assert await db_review_ids(pool, store_id) == wb_review_ids(wb)
    assert reviews.inserted == len(wb.state.feedbacks)
    assert reviews.new_reviews == [], "a backfill reports nothing as new"

    store = await one(pool, "SELECT * FROM stores WHERE id = $1", store_id)
    assert store["total_reviews"] == len(wb.state.feedbacks)
    for kind in ("product", "review", "question", "chat"):
        assert store[f"last_{kind}_update_status"] == "success"
        assert store[f"last_{kind}_update_error"] is None
    assert store["last_chat_update_next"]
    # Reviews of products with no card created their product from productDetails.
    orphans = await pool.fetchval(
        "SELECT count(*) FROM reviews r LEFT JOIN products p ON p.id = r.product_id "
        "WHERE r.store_id = $1 AND p.id IS NULL",
        store_id,
    )
    assert orphans == 0
    assert await pool.fetchval("SELECT count(*) FROM products WHERE store_id = $1", store_id) > len(
        wb.state.cards
    )
    counted = await pool.fetchval(
        "SELECT sum(review_count) FROM products WHERE store_id = $1", store_id
    )
    assert counted == len(wb.state.feedbacks)
    assert await pool.fetchval(
        "SELECT count(*) FROM questions WHERE store_id = $1", store_id
    ) == len(wb.state.questions)
    assert await pool.fetchval("SELECT count(*) FROM chats WHERE store_id = $1", store_id) == len(
        wb.state.chats
    )
    assert wb.stats.throttled.total() == 0, "a normal sync never meets a 429"


async def test_resync_changes_nothing(
    service: SyncService, pool: asyncpg.Pool, store_id: str
) -> None:
    await service.sync_all(store_id)
    before = await pool.fetch("SELECT id, updated_at FROM reviews ORDER BY id")
    again = await service.sync(store_id, "reviews", full=True)
    assert again.ok and again.fetched > 0
    assert (again.inserted, again.updated, again.vanished) == (0, 0, 0)
    assert await pool.fetch("SELECT id, updated_at FROM reviews ORDER BY id") == before
    incremental = await service.sync(store_id, "reviews")
    assert incremental.ok and not incremental.full
    assert (incremental.inserted, incremental.updated) == (0, 0)


async def test_incremental_picks_up_only_what_is_new(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    await service.sync_all(store_id)
    now = int(datetime.now(UTC).timestamp())
    landed = [
        wb.state.land_feedback("Ужасно, <брак> & обман 😡", valuation=1, created=now - 60),
        wb.state.land_feedback("", valuation=2, created=now - 120, photos=2),
        wb.state.land_feedback("Хорошо", valuation=5, created=now - 30),
    ]
    result = await service.sync(store_id, "reviews")
    assert result.ok and not result.full and not result.backfill
    assert result.inserted == 3 and result.updated == 0
    assert {r.id for r in result.new_reviews} == {f.id for f in landed}
    assert {r.rating for r in result.new_reviews} == {1, 2, 5}
    text = await pool.fetchval("SELECT text FROM reviews WHERE id = $1", landed[0].id)
    assert text == "Ужасно, <брак> & обман 😡"


async def test_sync_keeps_workflow_fields(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    await service.sync(store_id, "reviews")
    review_id = next(iter(wb.state.feedbacks))
    await pool.execute(
        """UPDATE reviews SET complaint_status = 'draft', complaint_text = 'черновик',
           draft_reply = 'ответ', review_status_wb = 'visible', chat_status_by_review = 'available'
           WHERE id = $1""",
        review_id,
    )
    wb.state.update_feedback(review_id, text="Покупатель переписал отзыв")
    result = await service.sync(store_id, "reviews", full=True)
    assert result.updated == 1
    row = await one(pool, "SELECT * FROM reviews WHERE id = $1", review_id)
    assert row["text"] == "Покупатель переписал отзыв"
    assert row["complaint_status"] == "draft" and row["complaint_text"] == "черновик"
    assert row["draft_reply"] == "ответ" and row["review_status_wb"] == "visible"
    assert row["chat_status_by_review"] == "available" and row["has_complaint_draft"]


async def test_valuation_from_portal_marks_complaint_sent(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    await service.sync(store_id, "reviews")
    review_id = next(
        f.id for f in wb.state.feedbacks.values() if f.valuation <= 3 and not f.feedback_valuation
    )
    wb.state.set_feedback_valuation(review_id, feedback_valuation=3)
    await service.sync(store_id, "reviews", full=True)
    row = await one(
        pool,
        "SELECT complaint_status, has_complaint, supplier_feedback_valuation FROM reviews WHERE id = $1",
        review_id,
    )
    assert row["complaint_status"] == "sent" and row["has_complaint"]
    assert row["supplier_feedback_valuation"] == 3


async def test_full_sync_marks_vanished_with_the_30_percent_safeguard(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    await service.sync(store_id, "reviews")
    # Windows are runs of known reviews in date order: one loses a single review (real),
    # another loses half of its reviews at once (an API fault).
    ordered = [
        r["id"]
        for r in await pool.fetch(
            "SELECT id FROM reviews WHERE store_id = $1 ORDER BY date, id", store_id
        )
    ]
    window = OPTIONS.vanish_window
    busy = [ordered[3 * window : 3 * window + window // 2], [ordered[10 * window + 7]]]
    lone_loss = busy[-1][0]
    await pool.execute("""UPDATE reviews SET complaint_status = 'sent' WHERE id = $1""", lone_loss)
    await pool.execute(
        """INSERT INTO review_complaints (review_id, store_id, owner_id, product_id,
           complaint_text, reason_id, reason_name, status, review_rating, review_text, review_date)
           SELECT id, store_id, owner_id, product_id, 'т', 20, 'Другое', 'sent', rating, text, date
             FROM reviews WHERE id = $1""",
        lone_loss,
    )
    faulty_window = busy[0]
    wb.state.remove_feedback(lone_loss)
    for fid in faulty_window:
        wb.state.remove_feedback(fid)
    result = await service.sync(store_id, "reviews", full=True)
    assert result.ok
    assert result.vanished == 1 and result.vanish_windows_skipped == 1
    row = await one(
        pool, "SELECT vanished_at, complaint_status FROM reviews WHERE id = $1", lone_loss
    )
    assert row["vanished_at"] is not None
    assert row["complaint_status"] == "approved", "WB removed the review we complained about"
    assert (
        await pool.fetchval("SELECT status FROM review_complaints WHERE review_id = $1", lone_loss)
        == "approved"
    )
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM reviews WHERE id = ANY($1::text[]) AND vanished_at IS NOT NULL",
            faulty_window,
        )
        == 0
    )


async def test_a_vanished_review_stops_its_chats_follow_ups(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    """A review gone from WB in a full sync is resolved: the running sequence of the chat
    linked to it stops (`review_resolved`) with the marking; another chat's goes on."""
    await service.sync(store_id, "reviews")
    picked = await pool.fetch(
        """
        SELECT DISTINCT ON (r.product_id) r.id FROM reviews r
         WHERE r.store_id = $1 AND r.author <> ''
           AND NOT EXISTS (SELECT 1 FROM reviews o WHERE o.product_id = r.product_id
                            AND o.author = r.author AND o.id <> r.id)
         ORDER BY r.product_id, r.date DESC LIMIT 2
        """,
        store_id,
    )
    gone, kept = picked[0]["id"], picked[1]["id"]
    for chat_id, review_id in (("1:gone", gone), ("1:kept", kept)):
        await pool.execute(
            """INSERT INTO chats (id, store_id, owner_id, client_name, reply_sign, product_nm_id,
                                  last_message_date, status)
               SELECT $1, r.store_id, r.owner_id, r.author, 'sign', p.wb_product_id,
                      r.date + interval '1 day', 'awaiting_reply'
                 FROM reviews r JOIN products p ON p.id = r.product_id WHERE r.id = $2""",
            chat_id,
            review_id,
        )
        await pool.execute(
            "INSERT INTO chat_auto_sequences (chat_id, store_id, owner_id) "
            "SELECT id, store_id, owner_id FROM chats WHERE id = $1",
            chat_id,
        )
    wb.state.remove_feedback(gone)
    result = await service.sync(store_id, "reviews", full=True)
    assert result.ok and result.vanished == 1
    rows = {
        r["chat_id"]: (r["status"], r["stop_reason"])
        for r in await pool.fetch("SELECT chat_id, status, stop_reason FROM chat_auto_sequences")
    }
    assert rows == {"1:gone": ("stopped", "review_resolved"), "1:kept": ("active", None)}


async def test_vanished_review_that_comes_back_is_cleared(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    await service.sync(store_id, "reviews")
    first = next(iter(wb.state.feedbacks))
    await pool.execute("UPDATE reviews SET complaint_status = 'sent' WHERE id = $1", first)
    await pool.execute(
        """INSERT INTO review_complaints (review_id, store_id, owner_id, product_id,
           complaint_text, reason_id, reason_name, status, review_rating, review_text, review_date)
           SELECT id, store_id, owner_id, product_id, 'т', 20, 'Другое', 'sent', rating, text, date
             FROM reviews WHERE id = $1""",
        first,
    )
    gone = wb.state.remove_feedback(first)
    assert gone is not None
    await service.sync(store_id, "reviews", full=True)
    assert await pool.fetchval("SELECT vanished_at FROM reviews WHERE id = $1", gone.id)
    assert (
        await pool.fetchval("SELECT status FROM review_complaints WHERE review_id = $1", gone.id)
        == "approved"
    )
    wb.state.add_feedback(gone)
    await service.sync(store_id, "reviews", full=True)
    row = await one(
        pool,
        "SELECT vanished_at, complaint_status, has_complaint FROM reviews WHERE id = $1",
        gone.id,
    )
    assert row["vanished_at"] is None
    assert row["complaint_status"] == "sent" and row["has_complaint"], "the verdict is open again"
    complaint = await one(
        pool, "SELECT status, wb_response FROM review_complaints WHERE review_id = $1", gone.id
    )
    assert complaint["status"] == "sent" and complaint["wb_response"] is None


async def test_faults_still_give_every_item_exactly_once(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    wb.faults.error_rate = 0.1
    wb.faults.hang_rate = 0.1
    wb.faults.hang_seconds = 5.0  # longer than the client's 2 s timeout
    wb.faults.reseed(3)
    results = await service.sync_all(store_id)
    assert all(r.ok for r in results), [r.error for r in results]
    assert wb.stats.faults.total() > 0
    assert await db_review_ids(pool, store_id) == wb_review_ids(wb)
    assert await pool.fetchval(
        "SELECT count(*) FROM chat_messages WHERE store_id = $1", store_id
    ) == len(wb.state.events)


async def test_sync_killed_halfway_then_rerun_loses_and_doubles_nothing(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    pages = 0
    stopped = asyncio.Event()

    def progress(what: str, count: int) -> None:
        nonlocal pages
        pages += 1
        if pages == 3:
            stopped.set()

    task = asyncio.create_task(service.sync(store_id, "reviews", progress=progress))
    await stopped.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    partial = len(await db_review_ids(pool, store_id))
    assert 0 < partial < len(wb.state.feedbacks)
    result = await service.sync(store_id, "reviews")
    assert result.ok and result.full, "an unfinished first sync is still a first sync"
    assert await db_review_ids(pool, store_id) == wb_review_ids(wb)


async def test_expired_token_gives_clear_status_and_parks_the_store(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator
) -> None:
    owner = await make_user(pool)
    expired = wb.token(expires_at=datetime.now(UTC) - timedelta(days=1))
    store_id = await make_store(pool, owner, expired)
    result = await service.sync(store_id, "reviews")
    assert result.error is not None and "expired" in result.error
    row = await one(pool, "SELECT * FROM stores WHERE id = $1", store_id)
    assert row["last_review_update_status"] == "error"
    assert "expired" in row["last_review_update_error"]
    requests = wb.stats.requests.total()
    again = await service.sync(store_id, "reviews")
    assert again.skipped is not None and "expired" in again.skipped
    assert wb.stats.requests.total() == requests, "a parked store does not call WB"
    await pool.execute("UPDATE stores SET api_token = $2 WHERE id = $1", store_id, wb.token())
    assert (await service.sync(store_id, "reviews")).ok, "a new token un-parks the store"


async def test_token_without_chat_category(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator
) -> None:
    owner = await make_user(pool)
    token = wb.token(categories=("feedbacks", "content"))
    store_id = await make_store(pool, owner, token)
    result = await service.sync(store_id, "chats")
    assert result.error is not None and "chat" in result.error.lower()
    assert (await service.sync(store_id, "reviews")).ok


async def test_one_sync_per_store_and_kind_at_a_time(service: SyncService, store_id: str) -> None:
    first, second = await asyncio.gather(
        service.sync(store_id, "reviews"), service.sync(store_id, "reviews")
    )
    outcomes = sorted([first.skipped or "ran", second.skipped or "ran"])
    assert outcomes == ["already running", "ran"]


async def test_chat_events_move_kanban_and_stop_sequences(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    await service.sync(store_id, "chats")
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    chat, _ = wb.state.new_chat("Анна", "Здравствуйте, пришёл брак", at_ms=now_ms)
    result = await service.sync(store_id, "chats")
    assert result.ok and not result.backfill
    assert [m.sender for m in result.new_messages] == ["client"]
    row = await one(pool, "SELECT * FROM chats WHERE id = $1", chat.chat_id)
    assert row["status"] == "inbox" and row["reply_sign"] == chat.reply_sign

    wb.state.seller_message(chat.chat_id, "Вернём деньги за брак", at_ms=now_ms + 1000)
    await service.sync(store_id, "chats")
    row = await one(pool, "SELECT * FROM chats WHERE id = $1", chat.chat_id)
    assert row["status"] == "in_progress" and row["last_message_sender"] == "seller"

    await pool.execute("UPDATE chats SET status = 'awaiting_reply' WHERE id = $1", chat.chat_id)
    await pool.execute(
        "INSERT INTO chat_auto_sequences (chat_id, store_id, owner_id) "
        "SELECT id, store_id, owner_id FROM chats WHERE id = $1",
        chat.chat_id,
    )
    wb.state.client_message(chat.chat_id, "Спасибо!", at_ms=now_ms + 2000)
    await service.sync(store_id, "chats")
    row = await one(pool, "SELECT * FROM chats WHERE id = $1", chat.chat_id)
    assert row["status"] == "inbox"
    seq = await one(pool, "SELECT * FROM chat_auto_sequences WHERE chat_id = $1", chat.chat_id)
    assert (seq["status"], seq["stop_reason"]) == ("stopped", "client_replied")
    again = await service.sync(store_id, "chats")
    assert again.new_messages == [], "events are idempotent by eventID"


async def test_products_sync_keeps_seller_fields(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    await service.sync(store_id, "products")
    nm = next(iter(wb.state.cards))
    await pool.execute(
        "UPDATE products SET work_status = 'active', is_active = FALSE WHERE wb_product_id = $1",
        str(nm),
    )
    wb.state.update_card(nm, at_us=int(datetime.now(UTC).timestamp() * 1e6), title="Новое имя")
    result = await service.sync(store_id, "products")
    assert result.ok and result.updated >= 1
    row = await one(pool, "SELECT * FROM products WHERE wb_product_id = $1", str(nm))
    assert row["name"] == "Новое имя"
    assert row["work_status"] == "active" and row["is_active"] is False
    assert row["wb_api_data"]["nmID"] == nm


async def test_buyer_reply_stops_the_sequence_even_if_the_seller_wrote_after(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    await service.sync(store_id, "chats")
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    chat, _ = wb.state.new_chat("Ира", "Добрый день", at_ms=now_ms)
    await service.sync(store_id, "chats")
    await pool.execute("UPDATE chats SET status = 'awaiting_reply' WHERE id = $1", chat.chat_id)
    await pool.execute(
        "INSERT INTO chat_auto_sequences (chat_id, store_id, owner_id) "
        "SELECT id, store_id, owner_id FROM chats WHERE id = $1",
        chat.chat_id,
    )
    wb.state.client_message(chat.chat_id, "Я вернула товар", at_ms=now_ms + 1000)
    wb.state.seller_message(chat.chat_id, "Спасибо, видим возврат", at_ms=now_ms + 2000)
    await service.sync(store_id, "chats")
    seq = await one(pool, "SELECT * FROM chat_auto_sequences WHERE chat_id = $1", chat.chat_id)
    assert (seq["status"], seq["stop_reason"]) == ("stopped", "client_replied")
    row = await one(pool, "SELECT status FROM chats WHERE id = $1", chat.chat_id)
    assert row["status"] == "in_progress", "the seller wrote last and no sequence runs now"


async def test_valuation_on_a_drafted_review_freezes_the_draft_as_sent(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    await service.sync(store_id, "reviews")
    review_id = next(
        f.id for f in wb.state.feedbacks.values() if f.valuation <= 3 and not f.feedback_valuation
    )
    await pool.execute(
        "UPDATE reviews SET complaint_status = 'draft', complaint_text = 'т' WHERE id = $1",
        review_id,
    )
    await pool.execute(
        """INSERT INTO review_complaints (review_id, store_id, owner_id, product_id,
           complaint_text, reason_id, reason_name, status, review_rating, review_text, review_date)
           SELECT id, store_id, owner_id, product_id, 'т', 20, 'Другое', 'draft', rating, text, date
             FROM reviews WHERE id = $1""",
        review_id,
    )
    wb.state.set_feedback_valuation(review_id, feedback_valuation=2)
    await service.sync(store_id, "reviews", full=True)
    row = await one(pool, "SELECT complaint_status FROM reviews WHERE id = $1", review_id)
    assert row["complaint_status"] == "sent"
    complaint = await one(
        pool, "SELECT status, sent_at FROM review_complaints WHERE review_id = $1", review_id
    )
    assert complaint["status"] == "sent" and complaint["sent_at"] is not None


async def test_new_reviews_are_queued_even_if_the_run_fails_later(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    await service.sync(store_id, "reviews")
    now = int(datetime.now(UTC).timestamp())
    landed = wb.state.land_feedback("Брак", valuation=1, created=now - 60)
    wb.faults.path_prefix = "/feedbacks/api/v1/feedbacks/archive"
    wb.faults.error_rate = 1.0  # the lists are read, then the archive fails for good
    result = await service.sync(store_id, "reviews")
    assert result.error is not None
    queued = await pool.fetchval("SELECT count(*) FROM new_reviews WHERE review_id = $1", landed.id)
    assert queued == 1, "the page that stored the review queued it in the same transaction"


# --- untrusted text: NUL and control characters (issue 10, item 3) ---------------------------

HOSTILE = "Брак\x00 полный\x01\x7f\x85 и\r\nвторая строка\tс табом\ud800"
"""What PostgreSQL refused ("invalid byte sequence for encoding UTF8: 0x00"), and more."""
CLEANED = "Брак полный и\nвторая строка\tс табом"


async def test_nul_and_control_characters_from_wb_never_stop_a_sync(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    await service.sync_all(store_id)
    now = datetime.now(UTC)
    nm = next(iter(wb.state.cards))
    wb.state.update_card(nm, at_us=int(now.timestamp() * 1e6), title="Плед\x00 " + HOSTILE)
    review = wb.state.land_feedback(
        HOSTILE,
        valuation=1,
        created=int(now.timestamp()) - 60,
        nm_id=nm,
        pros="да\x00",
        cons="\x00",
        user_name="Анна\x00",
    )
    question = wb.state.land_question(
        HOSTILE, created_ns=int((now.timestamp() - 60) * 1e9), nm_id=nm
    )
    chat, _ = wb.state.new_chat("Ира\x00", HOSTILE, at_ms=int(now.timestamp() * 1000))

    results = await service.sync_all(store_id)
    assert [(r.kind, r.error) for r in results] == [
        ("products", None),
        ("reviews", None),
        ("questions", None),
        ("chats", None),
    ]
    row = await one(pool, "SELECT * FROM reviews WHERE id = $1", review.id)
    assert (row["text"], row["pros"], row["cons"], row["author"]) == (CLEANED, "да", "", "Анна")
    assert (await one(pool, "SELECT text FROM questions WHERE id = $1", question.id))[
        "text"
    ] == CLEANED
    message = await one(pool, "SELECT text FROM chat_messages WHERE chat_id = $1", chat.chat_id)
    assert message["text"] == CLEANED
    assert (await one(pool, "SELECT client_name FROM chats WHERE id = $1", chat.chat_id))[
        "client_name"
    ] == "Ира"
    product = await one(
        pool, "SELECT name, wb_api_data FROM products WHERE wb_product_id = $1", str(nm)
    )
    assert product["name"] == "Плед " + CLEANED
    assert product["wb_api_data"]["title"] == "Плед " + CLEANED

    # Later runs go on: a newer review arrives and is queued for alerts.
    newer = wb.state.land_feedback("Пришёл рваный", valuation=1, created=int(now.timestamp()))
    again = await service.sync(store_id, "reviews", now=datetime.now(UTC))
    assert again.ok, again
    assert newer.id in {r.id for r in again.new_reviews}
    assert await pool.fetchval("SELECT count(*) FROM new_reviews WHERE review_id = $1", newer.id)


async def test_a_row_the_database_refuses_is_set_aside_and_the_rest_stored(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    await service.sync(store_id, "products")
    await service.sync(store_id, "reviews")
    now = datetime.now(UTC)
    # A rating no INTEGER column holds: the row fails however clean its text is.
    bad = wb.state.land_feedback("Странный", valuation=2**40, created=int(now.timestamp()) - 90)
    good = [
        wb.state.land_feedback(f"Брак {i}", valuation=2, created=int(now.timestamp()) - 60 + i)
        for i in range(5)
    ]
    result = await service.sync(store_id, "reviews", now=now)
    assert result.ok, result
    assert [r.id for r in result.set_aside] == [bad.id]
    assert "OverflowError" in result.set_aside[0].reason
    assert {g.id for g in good} <= await db_review_ids(pool, store_id)
    assert bad.id not in await db_review_ids(pool, store_id)
    assert {g.id for g in good} <= {r.id for r in result.new_reviews}
    status = await one(pool, "SELECT * FROM stores WHERE id = $1", store_id)
    assert status["last_review_update_status"] == "success"

    # Later runs meet it again, set it aside again, and store what is new.
    newer = wb.state.land_feedback("Ещё", valuation=1, created=int(now.timestamp()))
    again = await service.sync(store_id, "reviews", now=datetime.now(UTC))
    assert again.ok and newer.id in {r.id for r in again.new_reviews}


async def test_a_nul_that_reaches_the_writer_is_set_aside_not_fatal(
    pool: asyncpg.Pool, store_id: str
) -> None:
    """The writer's own guard, for text that did not pass the decoder (a new WB path)."""
    from db.repos import reviews as reviews_repo
    from services.sync.base import SyncResult, store_rows

    def row(review_id: str, text: str) -> reviews_repo.StageRow:
        date = datetime.now(UTC)
        return (review_id, "1", "Плед", "", 1, text, "", "", "", date, *(None,) * 5, False)

    rows = [row(f"r{i}", f"Брак {i}") for i in range(9)] + [row("poison", "a\x00b")]
    result = SyncResult(store_id=store_id, kind="reviews")

    async def write(part: object) -> object:
        async with pool.acquire() as conn:
            owner = await conn.fetchval("SELECT owner_id FROM stores WHERE id = $1", store_id)
            return await reviews_repo.upsert_page(conn, store_id, owner, part)  # type: ignore[arg-type]

    await store_rows(rows, write, row_id=lambda r: r[0], result=result)
    assert [s.id for s in result.set_aside] == ["poison"]
    assert "0x00" in result.set_aside[0].reason
    assert await db_review_ids(pool, store_id) == {f"r{i}" for i in range(9)}

    # A page the database refuses wholesale is a fault, not bad rows: the kind fails.
    from services.sync.base import MAX_SET_ASIDE, TooManyRefused

    many = [row(f"p{i}", "\x00") for i in range(MAX_SET_ASIDE + 5)]
    with pytest.raises(TooManyRefused):
        await store_rows(many, write, row_id=lambda r: r[0], result=result)


async def test_one_kind_failing_does_not_stop_the_others(
    service: SyncService, pool: asyncpg.Pool, store_id: str
) -> None:
    await pool.execute("ALTER TABLE questions RENAME TO questions_away")  # a database fault
    results = await service.sync_all(store_id)
    by_kind = {r.kind: r for r in results}
    assert by_kind["questions"].error == "internal error: UndefinedTableError"
    assert by_kind["products"].ok and by_kind["reviews"].ok and by_kind["chats"].ok
    status = await one(pool, "SELECT * FROM stores WHERE id = $1", store_id)
    assert status["last_question_update_status"] == "error"
    assert status["last_chat_update_status"] == "success"


async def test_no_pooled_connection_is_held_while_wb_answers(
    db_url: str, factory: WBClientFactory, wb: WBEmulator, store_id: str
) -> None:
    """The run used to hold its connection (for an advisory lock) across every WB call."""
    from db.pool import create_pool
    from tests.fakes.wb import Faults

    small = await create_pool(db_url, max_size=1)
    try:
        service = SyncService(small, factory, OPTIONS)
        await service.sync(store_id, "products")
        wb.faults = Faults(hang_rate=1.0, hang_seconds=1.0, path_prefix="/feedbacks/api/v1")
        run = asyncio.create_task(service.sync(store_id, "reviews"))
        await asyncio.sleep(0.3)  # the run waits for WB
        assert not run.done()
        assert await asyncio.wait_for(small.fetchval("SELECT 1"), 0.5) == 1
        wb.faults.clear()
        result = await run
        assert result.ok, result
    finally:
        await small.close()


async def test_a_run_whose_lease_was_taken_over_stops_writing(
    service: SyncService, pool: asyncpg.Pool, wb: WBEmulator, store_id: str
) -> None:
    """A run that stalled past its lease while another process took the kind writes nothing
    more and leaves the status to the new holder."""
    from services.sync.base import TAKEN_OVER
    from tests.fakes.wb import Faults

    await service.sync(store_id, "products")
    wb.faults = Faults(hang_rate=1.0, hang_seconds=0.5, path_prefix="/feedbacks/api/v1")
    run = asyncio.create_task(service.sync(store_id, "reviews"))
    await asyncio.sleep(0.2)  # the run waits for WB
    await pool.execute(
        "UPDATE sync_state SET lease_holder = 'another process' WHERE store_id = $1"
        " AND kind = 'reviews'",
        store_id,
    )
    await pool.execute(
        "UPDATE stores SET last_review_update_status = 'pending', last_review_update_date = $2"
        " WHERE id = $1",
        store_id,
        datetime(2030, 1, 1, tzinfo=UTC),
    )
    wb.faults.clear()
    result = await run
    assert result.error == TAKEN_OVER
    assert await db_review_ids(pool, store_id) == set(), "no page written after the loss"
    status = await one(pool, "SELECT * FROM stores WHERE id = $1", store_id)
    assert status["last_review_update_date"] == datetime(2030, 1, 1, tzinfo=UTC)
    holder = await pool.fetchval(
        "SELECT lease_holder FROM sync_state WHERE store_id = $1 AND kind = 'reviews'", store_id
    )
    assert holder == "another process", "the loser does not release the new holder's lease"
