"""The one stale-claim window: how long a claim may stay in flight before it counts as lost.

Work that goes outside (a publish to WB, a chat send, an alert or notice to Telegram, an
automatic reply, an auto-draft, a digest) is first claimed by a short committed statement,
then done with no connection held, then recorded. A process killed in between leaves its
claim behind; after `STALE_CLAIM` another process takes it over (for publishes: reads it as an
unknown outcome a person confirms).

Why 10 minutes: far longer than any live holder needs between its claim and its record (a WB
call is at most 4 attempts of 30 s with backoff and a 60 s rate-limit wait, about 3 minutes; a
Telegram batch or an LLM draft less), so a live holder never loses its claim and the work is
never done twice; and short enough that work a killed process left resumes within one or two
runs of the scheduler. A window that differs says why where it is set (`SenderConfig
.attempt_lease` in services/sequences.py). The AI leases take this as their floor
(`services/ai/leases.py`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

STALE_CLAIM: Final = timedelta(minutes=10)
