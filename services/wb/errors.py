"""Typed errors of the WB seller-API client.

Callers decide what to do from the class and two flags, never from message text:

* ``transient``: trying again later may succeed (rate limit, WB down, network).
* ``outcome_unknown``: a write (answer, chat message) may have been accepted by WB even though
  the call failed (a read timeout after the request went out, a gateway 502/504, a 200 whose
  body could not be read). Such a send must be recorded, never re-sent blindly.

No message or repr ever contains a token: messages are built from the endpoint name, the HTTP
status and WB's own error text, which the client scrubs before it gets here.
"""

from __future__ import annotations


class WBError(Exception):
    """Base of every error the WB client raises."""

    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        status: int | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.status = status
        self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, endpoint={self.endpoint!r}, "
            f"status={self.status!r})"
        )


class WBAuthError(WBError):
    """401/403: the token is expired, malformed, lacks a category or is read-only.

    Never retried: only the seller can fix it (a new token). ``reason`` is short and stable
    enough to show or to map to a localized text.
    """

    def __init__(
        self,
        reason: str,
        *,
        endpoint: str,
        status: int | None = None,
        category: str | None = None,
    ) -> None:
        super().__init__(f"{endpoint}: auth error: {reason}", endpoint=endpoint, status=status)
        self.reason = reason
        self.category = category


class WBRateLimited(WBError):
    """429 that outlasted the retry bound, or a client-side wait longer than allowed.

    ``retry_after`` is the number of seconds after which a call may succeed.
    """

    transient = True

    def __init__(
        self,
        retry_after: float,
        *,
        endpoint: str,
        status: int | None = 429,
        local: bool = False,
    ) -> None:
        where = "client-side limit" if local else "WB answered 429"
        super().__init__(
            f"{endpoint}: rate limited ({where}), retry after {retry_after:.3g} s",
            endpoint=endpoint,
            status=status,
        )
        self.retry_after = retry_after
        self.local = local


class WBServerError(WBError):
    """5xx from WB after the allowed attempts (or at once for a send whose outcome is unknown)."""

    transient = True

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        status: int | None = None,
        attempts: int = 1,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message, endpoint=endpoint, status=status, outcome_unknown=outcome_unknown)
        self.attempts = attempts


class WBNetworkError(WBError):
    """The request failed below HTTP (connection refused, reset) after the allowed attempts."""

    transient = True

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        attempts: int = 1,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message, endpoint=endpoint, outcome_unknown=outcome_unknown)
        self.attempts = attempts


class WBTimeout(WBNetworkError):
    """The request timed out after the allowed attempts."""


class WBBadResponse(WBError):
    """WB answered with a body the client cannot read (malformed JSON, unexpected shape)."""


class WBRequestError(WBError):
    """400/404/409/413/422 (or an error envelope): WB refused the request itself.

    ``detail`` is WB's ``errorText``/``detail`` text. Not transient: the same request fails
    the same way.
    """

    def __init__(self, detail: str, *, endpoint: str, status: int | None = None) -> None:
        shown = f"HTTP {status}" if status is not None else "error"
        message = f"{endpoint}: {shown}" if detail == shown else f"{endpoint}: {shown}: {detail}"
        super().__init__(message, endpoint=endpoint, status=status)
        self.detail = detail
