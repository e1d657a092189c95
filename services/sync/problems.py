"""What went wrong with WB, as a code the bot turns into words.

A sync failure is stored as text (`stores.last_*_update_error`, `SyncResult.error`): the WB
client's short auth reasons, our own markers (`TAKEN_OVER`, `INTERNAL_ERROR`,
`TOKEN_UNREADABLE`) or WB's words. `wb_problem` reads that text once, here, into a
`WBProblem`; the bot maps each `WBProblemCode` to a text key and never parses sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from services.sync.base import INTERNAL_ERROR, TAKEN_OVER
from services.wb.factory import TOKEN_UNREADABLE


class WBProblemCode(StrEnum):
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 - a code, not a secret
    TOKEN_MALFORMED = "token_malformed"  # noqa: S105 - a code, not a secret
    READ_ONLY = "read_only"
    TEST_TOKEN = "test_token"  # noqa: S105 - a code, not a secret
    SCOPE = "scope"
    NO_CATEGORY = "no_category"
    TOKEN_UNREADABLE = "token_unreadable"  # noqa: S105 - a code, not a secret
    INTERNAL = "internal"
    TAKEN_OVER = "taken_over"
    HTTP_STATUS = "http_status"
    """WB answered with a status and no words of its own (`status`)."""
    OTHER = "other"
    """Anything else: `detail` holds the text as it came."""


@dataclass(frozen=True, slots=True)
class WBProblem:
    code: WBProblemCode
    category: str | None = None
    """NO_CATEGORY: the token category that is missing (feedbacks, chat, content, ...)."""
    status: int | None = None
    """HTTP_STATUS: the status WB answered with."""
    detail: str = ""


_FIXED = {
    "token expired": WBProblemCode.TOKEN_EXPIRED,
    "token is malformed": WBProblemCode.TOKEN_MALFORMED,
    "read-only token": WBProblemCode.READ_ONLY,
    "test token works only on sandbox hosts": WBProblemCode.TEST_TOKEN,
    "token scope not allowed": WBProblemCode.SCOPE,
    TOKEN_UNREADABLE: WBProblemCode.TOKEN_UNREADABLE,
}

_BARE_STATUS = re.compile(r"(?:\A|: )(?:WB server error )?HTTP (\d{3})\Z")
"""What the WB client says when WB answered with a status and no words of its own (an HTML
page of a proxy, a 5xx): `[endpoint: ]HTTP 401`."""


def bare_status(error: str) -> int | None:
    """The status of an answer that was only a status, else None."""
    found = _BARE_STATUS.search(error)
    return int(found.group(1)) if found else None


def wb_problem(error: str) -> WBProblem:
    if error in _FIXED:
        return WBProblem(_FIXED[error])
    if error.startswith(INTERNAL_ERROR):
        return WBProblem(WBProblemCode.INTERNAL)
    if error == TAKEN_OVER:
        return WBProblem(WBProblemCode.TAKEN_OVER)
    if error.startswith("token has no ") and error.endswith(" category"):
        category = error.removeprefix("token has no ").removesuffix(" category")
        return WBProblem(WBProblemCode.NO_CATEGORY, category=category)
    status = bare_status(error)
    if status is not None:
        return WBProblem(WBProblemCode.HTTP_STATUS, status=status)
    return WBProblem(WBProblemCode.OTHER, detail=error)
