"""Store texts: WB problems, token problems and warnings, each from its code.

Services hand over codes (`WBProblemCode`, `TokenProblem`, `TokenWarning`); every code has a
text key in both languages (`tests/unit/test_codes_render.py`), so no text key is looked up
on a guess and no missing key is swallowed.
"""

from __future__ import annotations

from bot.render import clip, esc
from bot.views.common import Texts
from services.stores import StoreTokenError, TokenProblem, TokenWarning
from services.sync.problems import WBProblem, WBProblemCode, bare_status, wb_problem
from services.wb.tokens import BOT_CATEGORY_ORDER

WB_PROBLEM_KEYS: dict[WBProblemCode, str] = {
    WBProblemCode.TOKEN_EXPIRED: "stores-err-token-expired",
    WBProblemCode.TOKEN_MALFORMED: "stores-err-token-malformed",
    WBProblemCode.READ_ONLY: "stores-err-read-only",
    WBProblemCode.TEST_TOKEN: "stores-err-test-token",
    WBProblemCode.SCOPE: "stores-err-scope",
    WBProblemCode.NO_CATEGORY: "stores-err-no-category",
    WBProblemCode.TOKEN_UNREADABLE: "stores-err-token-unreadable",
    WBProblemCode.INTERNAL: "stores-err-internal",
    WBProblemCode.TAKEN_OVER: "stores-err-taken-over",
    WBProblemCode.HTTP_STATUS: "stores-http",
    WBProblemCode.OTHER: "stores-err-other",
}
_STATUS_WORDS = (401, 403, 404, 429)
_CATEGORIES = BOT_CATEGORY_ORDER


def wb_error_text(t: Texts, error: str) -> str:
    """A WB failure as stored or reported by a sync, in the user's words."""
    return wb_problem_text(t, wb_problem(error))


def wb_problem_text(t: Texts, problem: WBProblem) -> str:
    key = WB_PROBLEM_KEYS[problem.code]
    if problem.code is WBProblemCode.NO_CATEGORY:
        return t.get(key, category=category_text(t, problem.category or ""))
    if problem.code is WBProblemCode.HTTP_STATUS:
        return status_text(t, problem.status or 0)
    if problem.code is WBProblemCode.OTHER:
        return t.get(key, error=clip(problem.detail, 200))
    return t.get(key)


def status_text(t: Texts, status: int) -> str:
    """ "WB answered HTTP 401" and what that means."""
    if status in _STATUS_WORDS:
        reason = f"stores-http-{status}"
    else:
        reason = "stores-http-5xx" if status >= 500 else "stores-http-other"
    return t.get("stores-http", status=str(status), reason=t.get(reason))


def wb_status_text(t: Texts, error: str) -> str | None:
    """`status_text` for an answer that was only a status, else None."""
    status = bare_status(error)
    return None if status is None else status_text(t, status)


def category_text(t: Texts, category: str) -> str:
    return t.get(f"stores-cat-{category}") if category in _CATEGORIES else esc(category)


def progress_label(t: Texts, what: str) -> str:
    """A sync step's label (`SyncStep`); a step without a text key fails a test, never hides."""
    return t.get(f"stores-progress-{what.replace(' ', '-')}")


def needed_categories(t: Texts) -> str:
    """The categories a token needs, as the WB portal names them: the same list the token
    check uses (`services/wb/tokens.py` `BOT_CATEGORIES`), so the help and the check agree."""
    return ", ".join(t.get(f"stores-portal-cat-{c}") for c in BOT_CATEGORY_ORDER)


def warning_text(t: Texts, code: str) -> str:
    if code in TokenWarning.__members__.values():
        return t.get(f"stores-warn-{code}")
    return esc(code)  # a code added to services later: still say something


def token_problems_text(t: Texts, exc: StoreTokenError) -> str:
    lines = []
    for code in exc.problems:
        if code in TokenProblem.__members__.values():
            lines.append("• " + t.get(f"stores-problem-{code}"))
        else:
            lines.append("• " + t.get("stores-problem-other", code=esc(code)))
    if exc.detail:
        words = wb_status_text(t, exc.detail)
        lines.append(words or t.get("stores-problem-detail", detail=clip(exc.detail, 200)))
    return "\n".join(lines)
