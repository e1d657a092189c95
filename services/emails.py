"""Email addresses as people type them: one normal form, so one person is one row.

An email is the key a person registers with and an admin approves, so two spellings that
look the same must be the same row, or be refused. `normalize` makes the stored form:
Unicode NFKC (full-width letters become plain ones), invisible and format characters
removed (`services.untrusted.is_invisible`: zero-width spaces and joiners, soft hyphens,
direction marks), trimmed, lower-case, and the domain in its IDNA (punycode) form, so what is
stored is plain ASCII. The part before @ must be Latin letters, digits and the usual punctuation: a Cyrillic "а" among Latin letters
is where a look-alike hides. A domain label may be non-Latin (почта.рф) but not mix scripts.
`shown` is how admins read an email: the stored ASCII form, with the Unicode domain beside
it, and anything unusual (a row older than these rules) escaped and flagged.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

import idna

from services.untrusted import is_invisible


class EmailProblem(StrEnum):
    """Why an email was refused; the bot maps each to a text key (`reg-bad-email-<value>`)."""

    SHAPE = "shape"  # not name@domain.tld
    LOCAL = "local"  # the part before @ holds characters outside the allowed set
    MIXED = "mixed"  # a domain label mixes scripts (Latin with Cyrillic look-alikes, ...)
    DOMAIN = "domain"  # the domain is not a valid (internationalised) domain name


class EmailError(ValueError):
    def __init__(self, problem: EmailProblem, raw: str) -> None:
        super().__init__(f"not a valid email ({problem}): {raw.strip()[:80]!r}")
        self.problem = problem


MAX_LENGTH = 254
_LOCAL_RE = re.compile(r"^[a-z0-9!#$%*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%*+/=?^_`{|}~-]+)*$")
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TLD_RE = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# Scripts that one name may legitimately mix (Japanese writes Han with kana).
_SCRIPT_GROUP = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK"}


def _script(ch: str) -> str | None:
    """The script of a letter (the first word of its Unicode name), None for anything else."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    word = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
    return _SCRIPT_GROUP.get(word, word)


def normalize(raw: str) -> str:
    """The stored form of a typed email (ASCII), or EmailError saying what is wrong."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch for ch in text if not is_invisible(ch)).strip().lower()
    if text.count("@") != 1 or any(ch.isspace() for ch in text):
        raise EmailError(EmailProblem.SHAPE, raw)
    local, domain = text.split("@")
    if not local or not domain or len(local) > 64:
        raise EmailError(EmailProblem.SHAPE, raw)
    if not _LOCAL_RE.match(local):
        raise EmailError(EmailProblem.LOCAL, raw)
    labels = domain.split(".")
    if len(labels) < 2 or any(not label for label in labels):
        raise EmailError(EmailProblem.SHAPE, raw)
    ascii_labels = [_label(label, raw) for label in labels]
    if not _TLD_RE.match(ascii_labels[-1]):
        raise EmailError(EmailProblem.DOMAIN, raw)
    email = local + "@" + ".".join(ascii_labels)
    if len(email) > MAX_LENGTH:
        raise EmailError(EmailProblem.SHAPE, raw)
    return email


def _label(label: str, raw: str) -> str:
    """One domain label in ASCII: as typed, or its IDNA form if it holds other letters."""
    if label.isascii():
        if not _LABEL_RE.match(label):
            raise EmailError(EmailProblem.DOMAIN, raw)
        if label.startswith("xn--"):  # typed in its IDNA form: judged by what it stands for
            try:
                unicode = idna.ulabel(label)
            except (idna.IDNAError, UnicodeError):
                raise EmailError(EmailProblem.DOMAIN, raw) from None
            _label(unicode, raw)
        return label
    if len({s for s in map(_script, label) if s is not None}) > 1:
        raise EmailError(EmailProblem.MIXED, raw)
    try:
        encoded = idna.alabel(label).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise EmailError(EmailProblem.DOMAIN, raw) from None
    if not _LABEL_RE.match(encoded):
        raise EmailError(EmailProblem.DOMAIN, raw)
    return encoded


def shown(email: str) -> str:
    """How admins read a stored email, so two people never look the same (not escaped for
    HTML). Plain ASCII as is; an IDNA domain with its Unicode form after it; anything else
    (rows stored before these rules) flagged with ⚠ and every unusual character written as
    [U+XXXX]."""
    if email.isascii() and email.isprintable():
        local, _, domain = email.rpartition("@")
        if "xn--" not in domain:
            return email
        try:
            return f"{email} ({local}@{idna.decode(domain)})"
        except (idna.IDNAError, UnicodeError):
            return email
    spelled = "".join(
        ch if ch.isascii() and ch.isprintable() else f"[U+{ord(ch):04X}]" for ch in email
    )
    return "⚠ " + spelled
