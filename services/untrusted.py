"""Text from outside (WB's responses, what a person types, callback data): control characters out.

PostgreSQL refuses U+0000 in `text` and `jsonb` ("invalid byte sequence for encoding UTF8:
0x00"), and a lone surrogate cannot be encoded as UTF-8 at all, so one such character in a
review once made every later sync of the kind fail on the same page. The rule is one for
every source: C0 and C1 control characters, DEL and lone surrogates are removed; `\\n` and
`\\t` stay, and a carriage return becomes a line break (`\\r\\n` one, `\\r` one).

`clean_text` applies the rule to a string. `clean_json` applies the same rule to a JSON body
before it is decoded (WB's responses), so the decoded strings, and the raw JSON sync stores in
`jsonb` columns, are clean alike; a test checks that both agree.
"""

from __future__ import annotations

import re

_BAD_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` without control characters (except `\\n`, `\\t`) and lone surrogates."""
    if _BAD_TEXT.search(text) is None:
        return text
    return _BAD_TEXT.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def has_controls(text: str) -> bool:
    """Whether `clean_text` would change `text`."""
    return _BAD_TEXT.search(text) is not None


# In a JSON body a control character can only be an escape inside a string (`\u0000`, `\b`,
# `\f`, `\r`) or, for DEL and C1, the raw character; raw C0 bytes are invalid JSON and removed
# too. Escaped backslashes are matched (and kept) so that `\\u0000`, a backslash followed by
# the text "u0000", is never read as an escape; surrogate pairs are matched whole and kept.
# The first look is cheap (a page of 5,000 reviews, 6 MB, in about 7 ms): a body with none of
# these needs no second pass.
_PLAIN_BYTES = (
    bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0xC2)) + bytes(range(0xC3, 0x100)) + b"\t\n\r"
)
_SUSPECT_ESCAPE = re.compile(rb"\\u00[0189]|\\u007[fF]|\\u[dD][89a-fA-F]|\\[bfr]")
_C1 = re.compile(rb"\xc2[\x80-\x9f]")
_JSON_TOKEN = re.compile(
    rb"\\\\"
    rb"|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    rb"|(?:\\r|\\u000[dD])(?:\\n|\\u000[aA])?"
    rb"|\\u00[01][0-9a-fA-F]|\\u00[89][0-9a-fA-F]|\\u007[fF]|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
    rb"|\\[bf]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]"
)
_KEPT_ESCAPES = frozenset({b"\\u0009", b"\\u000a", b"\\u000A"})


def _json_token(match: re.Match[bytes]) -> bytes:
    token = match.group()
    if token == b"\\\\" or len(token) == 12 or token in _KEPT_ESCAPES:
        return token
    if token[:2] == b"\\r" or token[:6].lower() == b"\\u000d":
        return b"\\n"
    return b""


def _suspect(body: bytes) -> bool:
    rest = body.translate(None, _PLAIN_BYTES)  # raw C0 and DEL bytes, and 0xC2 (C1's lead)
    if rest.strip(b"\xc2") or (rest and _C1.search(body) is not None):
        return True
    return _SUSPECT_ESCAPE.search(body) is not None


def clean_json(body: bytes) -> bytes:
    """A JSON body whose strings read as `clean_text` of what they said (see the module)."""
    if not _suspect(body):
        return body
    return _JSON_TOKEN.sub(_json_token, body)
