"""The hidden-complaint rule table: every case gets its expected verdict, and the measured
precision and recall (printed with -s) stay at 1.0 on the table and on the 200-review set."""

from __future__ import annotations

import pytest

from services.hidden_complaints import ComplaintKind, judge, judge_review
from tests.support.positive_reviews import CASES, review_set


def _scores(pairs: list[tuple[bool, bool]]) -> tuple[float, float]:
    tp = sum(1 for got, want in pairs if got and want)
    fp = sum(1 for got, want in pairs if got and not want)
    fn = sum(1 for got, want in pairs if not got and want)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall


def test_the_table_has_enough_cases_of_both_kinds() -> None:
    assert len(CASES) >= 40
    assert sum(1 for _, hidden in CASES if hidden) >= 25
    assert sum(1 for _, hidden in CASES if not hidden) >= 15


@pytest.mark.parametrize(("text", "hidden"), CASES)
def test_case(text: str, hidden: bool) -> None:
    assert judge(text).hidden_complaint is hidden, judge(text)


def test_precision_and_recall_on_the_table() -> None:
    precision, recall = _scores([(judge(t).hidden_complaint, h) for t, h in CASES])
    print(f"\nrule table: {len(CASES)} cases, precision {precision:.3f}, recall {recall:.3f}")
    assert recall == 1.0
    assert precision >= 0.95


def test_precision_and_recall_on_the_200_review_set() -> None:
    reviews = review_set()
    assert len(reviews) == 200
    pairs = [(judge_review(r.text, r.pros, r.cons).hidden_complaint, r.hidden) for r in reviews]
    precision, recall = _scores(pairs)
    hidden = sum(1 for r in reviews if r.hidden)
    print(f"\n200-review set: {hidden} hidden, precision {precision:.3f}, recall {recall:.3f}")
    assert recall == 1.0
    assert precision >= 0.95


def test_look_alike_letters_do_not_hide_a_defect() -> None:
    # "брак" with a Latin "p" and a zero-width space inside
    assert judge("Всё отлично, но б\u200bpак на рукаве").kinds == (ComplaintKind.DEFECT,)


def test_a_flaw_named_in_cons_counts_even_when_the_text_is_glowing() -> None:
    assert judge_review("Прекрасно!", None, "тонковата ткань").hidden_complaint
    assert not judge_review("Прекрасно!", None, "Недостатков нет").hidden_complaint
