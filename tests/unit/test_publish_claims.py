"""One publish-claim implementation for reviews, questions and chats (db/repos/publish_claims)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.repos import chats, questions, replies


def test_each_table_claims_with_its_own_names() -> None:
    review = replies.CLAIMS._claim
    assert "INSERT INTO review_publishes AS p (review_id, state, text, started_at)" in review
    assert "WHERE $3 AND" in review and "$4::interval" in review
    question = questions.CLAIMS._claim
    assert "action = EXCLUDED.action, text = EXCLUDED.text" in question
    assert "WHERE $4 AND" in question and "$5::interval" in question
    assert (
        "'sending'" in chats.SEND_CLAIMS._claim and "'publishing'" not in chats.SEND_CLAIMS._claim
    )


async def test_a_claim_with_the_wrong_values_is_refused_before_any_sql() -> None:
    with pytest.raises(TypeError):
        await questions.CLAIMS.claim(None, "q1", "text only", confirm=False, stale=timedelta())  # type: ignore[arg-type]
