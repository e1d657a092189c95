"""Tags the chats that got new messages: rules first, the LLM only when the rules are unsure.

Runs after each chat sync for one store, at most `limit` chats per run (the rest wait for the
next run; `chats.tagged_at` says what was seen). No pooled connection is held across an LLM
call: the chats and their messages are read first, the model is asked, the verdicts are
written in one statement, and `stores.chat_tag_counts` is recounted.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from db.repos import chat_screens
from db.repos import chats as chats_repo
from db.repos import stores as stores_repo
from services.ai.chat_tags import ChatTag
from services.ai.errors import AIError
from services.ai.prompting import ChatInfo, ChatMessageInfo, ProductInfo, StoreInfo
from services.ai.tasks import AITasks
from services.chats.rules import Msg, tag_by_rules

log = logging.getLogger(__name__)

TAG_MESSAGES = 6
"""How many of a chat's last messages the rules and the model read."""
TAG_PER_RUN = 50


@dataclass
class TagReport:
    by_rules: int = 0
    by_llm: int = 0
    unsure_kept: int = 0
    """Unsure chats whose LLM call failed: the tag is kept, tried again after new messages."""
    tags: dict[str, ChatTag | None] = field(default_factory=dict)


class ChatTagger:
    def __init__(self, pool: asyncpg.Pool, ai: AITasks | None) -> None:
        self.pool = pool
        self.ai = ai

    async def tag_store(self, store_id: str, *, limit: int = TAG_PER_RUN) -> TagReport:
        report = TagReport()
        store = await stores_repo.get_store(self.pool, store_id)
        if store is None:
            return report
        chats = await chats_repo.chats_to_tag(self.pool, store_id, limit)
        if not chats:
            return report
        msgs: dict[str, list[asyncpg.Record]] = defaultdict(list)
        for m in await chats_repo.recent_messages(
            self.pool, [c["id"] for c in chats], TAG_MESSAGES
        ):
            msgs[m["chat_id"]].append(m)
        info = StoreInfo(store.id, store.owner_id, store.name, store.ai_instructions)
        verdicts: list[tuple[str, str | None, datetime]] = []
        for chat in chats:
            rows = msgs.get(chat["id"], [])
            verdict = tag_by_rules([Msg(r["sender"], r["text"]) for r in rows], chat["tag"])
            tag: ChatTag | None = verdict.tag
            if tag is not None:
                report.by_rules += 1
            elif self.ai is not None:
                try:
                    result = await self.ai.classify_chat_tag(
                        store=info,
                        product=await self._product(store_id, chat["product_nm_id"]),
                        chat=ChatInfo(
                            id=chat["id"],
                            client_name=chat["client_name"],
                            messages=tuple(ChatMessageInfo.from_record(dict(r)) for r in rows),
                        ),
                        deletion=verdict.deletion,
                    )
                    tag = result.tag
                    report.by_llm += 1
                except AIError:
                    log.warning("chat %s: tag model failed, tag kept", chat["id"], exc_info=True)
                    report.unsure_kept += 1
            else:
                report.unsure_kept += 1
            report.tags[chat["id"]] = tag
            verdicts.append((chat["id"], tag, chat["last_message_date"]))
        await chats_repo.apply_auto_tags(self.pool, store_id, verdicts)
        await stores_repo.refresh_chat_counts(self.pool, store_id)
        return report

    async def _product(self, store_id: str, nm_id: str | None) -> ProductInfo:
        row = await chat_screens.product_by_nm(self.pool, store_id, nm_id) if nm_id else None
        if row is None:
            return ProductInfo(name="", wb_product_id=nm_id)
        return ProductInfo.from_record(dict(row))
