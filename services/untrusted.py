"""Text from outside (WB's responses, what a person types, what a model writes): the one place
that knows which characters are trouble, and the three normal forms made of them.

Control characters. PostgreSQL refuses U+0000 in `text` and `jsonb` ("invalid byte sequence
for encoding UTF8: 0x00"), and a lone surrogate cannot be encoded as UTF-8 at all, so one such
character in a review once made every later sync of the kind fail on the same page. The rule
is one for every source: C0 and C1 control characters, DEL and lone surrogates are removed;
`\\n` and `\\t` stay, and a carriage return becomes a line break (`\\r\\n` one, `\\r` one).
`clean_text` applies the rule to a string. `clean_json` applies the same rule to a JSON body
before it is decoded (WB's responses), so the decoded strings, and the raw JSON sync stores in
`jsonb` columns, are clean alike; a test checks that both agree.

Invisible characters (`is_invisible`): format characters (zero-width spaces and joiners, the
word joiner, soft hyphens, direction marks, embeddings, overrides and isolates, BOM), fillers
that show as nothing, and variation selectors. They can split a word so that a pattern misses
it, reorder what a person reads, or hide a fence delimiter.

The three forms:
- `clean_outgoing`: what we store and send (a reply, a chat message, a complaint): no control
  characters and no invisible ones, except those that hold an emoji together (the joiner in
  a family, the selector after a heart, the tags of a flag); canonical composition (NFC), so
  it looks exactly as before. The output guard checks this text and callers send it
  (`services.ai.guard.GuardResult.text`).
- `strip_invisible`: a copy for reading, never for sending: NFKC (but "№" kept), no invisible
  characters, combining marks, private-use characters or controls (line breaks and tabs stay).
- `fold`: the copy the guard's patterns match; see `fold`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Final

_BAD_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` without control characters (except `\\n`, `\\t`) and lone surrogates."""
    if _BAD_TEXT.search(text) is None:
        return text
    return _BAD_TEXT.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def has_controls(text: str) -> bool:
    """Whether `clean_text` would change `text`."""
    return _BAD_TEXT.search(text) is not None


# --- invisible characters ------------------------------------------------------------------
# Not format characters (Cf) but shown as nothing all the same: the combining grapheme joiner,
# Hangul fillers, Khmer inherent vowels, Mongolian free variation selectors and vowel separator.
_BLANK: Final = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u3164\uffa0")
_ZWJ: Final = "\u200d"
_EMOJI_SELECTORS: Final = frozenset("\ufe0e\ufe0f")
_KEYCAP: Final = "\u20e3"


def is_invisible(ch: str) -> bool:
    """A character that shows as nothing (see the module)."""
    return (
        unicodedata.category(ch) == "Cf"
        or ch in _BLANK
        or "\ufe00" <= ch <= "\ufe0f"
        or "\U000e0100" <= ch <= "\U000e01ef"
    )


def _symbol(ch: str) -> bool:
    """An emoji or other pictograph (skin tones are modifier symbols)."""
    return unicodedata.category(ch) in ("So", "Sk")


def _tag(ch: str) -> bool:
    return "\U000e0020" <= ch <= "\U000e007f"


def _holds_emoji(text: str, i: int) -> bool:
    """Whether the invisible `text[i]` is part of an emoji: a joiner between two symbols
    (👨‍👩‍👧), a selector after a symbol or before a keycap (❤️, 1️⃣), a tag after a flag or a tag."""
    ch = text[i]
    prev = text[i - 1] if i > 0 else ""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if ch == _ZWJ:
        return bool(prev and nxt) and (_symbol(prev) or prev in _EMOJI_SELECTORS) and _symbol(nxt)
    if ch in _EMOJI_SELECTORS:
        return bool(prev) and (_symbol(prev) or nxt == _KEYCAP)
    if _tag(ch):
        return bool(prev) and (_symbol(prev) or _tag(prev))
    return False


def clean_outgoing(text: str) -> str:
    """The form we store and send (see the module): `clean_text`, then no invisible
    characters but an emoji's own, in NFC. Idempotent."""
    text = clean_text(text)
    if any(is_invisible(ch) for ch in text):
        text = "".join(
            ch for i, ch in enumerate(text) if not is_invisible(ch) or _holds_emoji(text, i)
        )
    return unicodedata.normalize("NFC", text)


def strip_invisible(text: str) -> str:
    """NFKC, then no invisible characters (`is_invisible`), no combining marks left over
    (stress marks) and no control characters other than the line break and the tab. A copy
    to read (match, compare, fence), never the text sent."""
    # NFKC would spell "№" as "No": it stays, as Russian texts use it for numbers.
    t = "№".join(unicodedata.normalize("NFKC", part) for part in text.split("№"))
    out = []
    for ch in t:
        cat = unicodedata.category(ch)
        if (
            is_invisible(ch)
            or cat in ("Mn", "Me", "Co", "Cs")
            or (cat == "Cc" and ch not in "\n\t")
        ):
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


# --- the guard's matching copy: look-alike letters -------------------------------------------
# A text that reaches WB may have been steered by a buyer's review ("prompt injection"), and the
# model then writes what the buyer asked for in a form meant to slip past word patterns: Latin
# letters that look Cyrillic inside Russian words ("Удaлите oтзыв"), zero-width characters
# inside a phrase, full-width or stylised letters, a digit for a letter ("0тзыв"). `fold`
# undoes all of that on a copy: `strip_invisible`, one kind of space, lower case, "ё" -> "е",
# and look-alikes folded to the script most of the word is in. It also says which words mixed
# scripts, since a reply with such a word is refused whatever it says (`Folded.mixed_words`).

# Latin and Greek letters that look like Cyrillic ones (lower case, after NFKC and lower()).
# Generous on purpose: a word is folded only when it already mixes scripts, and such a word
# is refused anyway; the fold just lets the patterns read what it says.
_TO_CYRILLIC: Final = str.maketrans(
    {
        "a": "а",
        "b": "в",
        "c": "с",
        "d": "д",
        "e": "е",
        "g": "д",
        "h": "н",
        "i": "и",
        "k": "к",
        "m": "м",
        "n": "п",
        "o": "о",
        "p": "р",
        "r": "г",
        "t": "т",
        "u": "и",
        "x": "х",
        "y": "у",
        "α": "а",
        "β": "в",
        "γ": "у",
        "ε": "е",
        "η": "н",
        "ι": "и",
        "κ": "к",
        "μ": "м",
        "ν": "v",
        "ο": "о",
        "π": "п",
        "ρ": "р",
        "τ": "т",
        "υ": "у",
        "χ": "х",
        "ω": "w",
        "0": "о",
        "3": "з",
        "6": "б",
    }
)
_TO_LATIN: Final = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "і": "i",
        "ј": "j",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "ѕ": "s",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "0": "o",
    }
)

# Spaces of every width become one plain space; line breaks and tabs stay.
_SPACES: Final = re.compile(r"[^\S\n\t]")
# Letters spelled apart to hide a word: "у д а л и т е", "о-т-з-ы-в", "о.т.з.ы.в" (four or
# more single letters with the same one space, hyphen, dot or underscore between them). Russian has one-letter words, but four in
# a row do not happen in a reply.
_SPELLED_APART: Final = re.compile(
    r"(?<![\w.\-])[^\W\d_]([ \-._])(?:[^\W\d_]\1){2,}[^\W\d_](?![\w\-])"
)
_WORD: Final = re.compile(r"\w+")
# A word with a digit between letters ("от3ыв") or a zero for the first letter ("0тзыв").
_DIGIT_INSIDE: Final = re.compile(r"[^\W\d_]{2,}[036][^\W\d_]{2,}|^0[^\W\d_]{3,}")
# "@" for "а" inside a Cyrillic word ("уд@лите").
_AT_INSIDE: Final = re.compile(r"(?<=[а-яё])@(?=[а-яё])")
# Ukrainian and Belarusian "і", "ї" read as "и" in the matching copy ("удалiте" with a
# Cyrillic "і" is all-Cyrillic, so no script mixing shows it); names keep working.
_I_LIKE: Final = str.maketrans({"і": "и", "ї": "и"})


def letter_script(ch: str) -> str:
    """'cyr', 'lat', 'grk' or 'other' for a letter."""
    if "\u0400" <= ch <= "\u052f" or "\u1c80" <= ch <= "\u1c8f" or "\ua640" <= ch <= "\ua69f":
        return "cyr"
    if ch.isascii():
        return "lat"
    if "\u0370" <= ch <= "\u03ff" or "\u1f00" <= ch <= "\u1fff":
        return "grk"
    name = unicodedata.name(ch, "")
    if name.startswith("LATIN"):
        return "lat"
    return "other"


@dataclass(frozen=True, slots=True)
class Folded:
    """`text`: the copy patterns match; `mixed_words`: words (as written, normalised) that
    mixed Latin, Greek and Cyrillic letters or put digits in place of Cyrillic letters."""

    text: str
    mixed_words: tuple[str, ...] = field(default_factory=tuple)


def _fold_word(word: str) -> tuple[str, bool]:
    """A word folded to the script most of its letters are in; True when it was mixed."""
    counts = {"cyr": 0, "lat": 0, "grk": 0}
    for ch in word:
        if ch.isalpha():
            script = letter_script(ch)
            if script in counts:
                counts[script] += 1
    digit_trick = counts["cyr"] >= 2 and bool(_DIGIT_INSIDE.search(word))
    mixed = counts["cyr"] > 0 and (counts["lat"] > 0 or counts["grk"] > 0)
    if not (mixed or digit_trick):
        return word, False
    if counts["cyr"] >= counts["lat"] + counts["grk"] or digit_trick:
        return word.translate(_TO_CYRILLIC), True
    return word.translate(_TO_LATIN), True


def fold(text: str) -> Folded:
    """The matching copy of `text` (see the comment above `letter_script`)."""
    t = strip_invisible(text)
    t = _SPACES.sub(" ", t).lower()
    t = _SPELLED_APART.sub(lambda m: re.sub(r"[ \-._]", "", m.group(0)), t)
    mixed: list[str] = []
    if _AT_INSIDE.search(t):
        mixed.extend(w for w in re.findall(r"[\w@]+", t) if "@" in w and _AT_INSIDE.search(w))
        t = _AT_INSIDE.sub("а", t)

    def one(m: re.Match[str]) -> str:
        word, was_mixed = _fold_word(m.group(0))
        if was_mixed:
            mixed.append(m.group(0))
        return word

    t = _WORD.sub(one, t).translate(_I_LIKE)
    return Folded(text=t.replace("ё", "е"), mixed_words=tuple(mixed))


# --- JSON bodies ---------------------------------------------------------------------------
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
