"""Fault injection: the failures a WB client must survive.

Faults are decided after auth and rate limiting and before the handler runs, so a faulted
request never changes state (a faulted `POST /feedbacks/answer` is not applied). One uniform
draw per eligible request from a seeded RNG picks the fault, so a given seed and request order
always give the same outcomes.
"""

from __future__ import annotations

import http
import random
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["error", "hang", "malformed", "throttle", "html"]


@dataclass
class Faults:
    """Probabilities are per request; `burst_429` forces the next N eligible requests to 429.

    `path_prefix` restricts faults to request paths starting with it (paths include the host
    prefix, e.g. ``/feedbacks/api/v1/feedbacks`` or ``/chat``). `html_pages` forces the next N
    eligible requests to an HTML error page with status `html_status`, as a proxy in front of
    WB answers (nginx's "401 Authorization Required"), not the API's JSON.
    """

    error_rate: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 60.0
    malformed_rate: float = 0.0
    burst_429: int = 0
    path_prefix: str | None = None
    error_status: int = 500
    html_pages: int = 0
    html_status: int = 401
    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def clear(self) -> None:
        """Turn every fault off (keeps the RNG position)."""
        self.error_rate = self.hang_rate = self.malformed_rate = 0.0
        self.burst_429 = self.html_pages = 0
        self.path_prefix = None

    def pick(self, path: str) -> FaultKind | None:
        if self.path_prefix is not None and not path.startswith(self.path_prefix):
            return None
        if self.html_pages > 0:
            self.html_pages -= 1
            return "html"
        if self.burst_429 > 0:
            self.burst_429 -= 1
            return "throttle"
        total = self.error_rate + self.hang_rate + self.malformed_rate
        if total <= 0.0:
            return None
        draw = self._rng.random()
        if draw < self.error_rate:
            return "error"
        if draw < self.error_rate + self.hang_rate:
            return "hang"
        if draw < total:
            return "malformed"
        return None


def html_error_page(status: int) -> str:
    """An nginx-style error page, as a proxy in front of an API answers."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    if status == 401:
        phrase = "Authorization Required"
    title = f"{status} {phrase}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
