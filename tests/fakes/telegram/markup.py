"""Telegram's HTML parse mode, ported from tdlib's `parse_html` (td/telegram/MessageEntity.cpp).

The fake needs Telegram's exact verdicts: the same tags, the same byte offsets in the error
texts, and lengths in UTF-16 code units of the visible text. One deliberate difference, on by
default (`strict=True`): a `&` that does not start `&lt;` `&gt;` `&amp;` `&quot;` or a numeric
reference ending in `;` is refused. Real Telegram shows such a `&` as text, but in this project
every text is escaped before it is sent, so a bare `&` means a value skipped `html.escape`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler",
        "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_SPACE = frozenset(b" \t\r\n\x00\x0b")  # td::is_space, NUL included: the text's end stops scans
_MARKUP = re.compile(rb"[&<]")  # where plain text ends: an entity reference or a tag
_NAMED = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}
_SURROGATE_ERROR = (
    "Text contains invalid Unicode characters after decoding HTML entities, "
    "check for unmatched surrogate code units"
)


class EntityParseError(ValueError):
    """The markup is refused; `str()` is tdlib's message (the Bot API prefixes it)."""


@dataclass(frozen=True)
class ParsedText:
    """The visible text and its Bot API `MessageEntity` dicts."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def length(self) -> int:
        return utf16_len(self.text)


def utf16_len(text: str) -> int:
    """Telegram counts lengths and offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _is_alpha(c: int) -> bool:
    return 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _is_digit(c: int) -> bool:
    return 0x30 <= c <= 0x39


def _is_hex(c: int) -> bool:
    return _is_digit(c) or 0x41 <= c <= 0x46 or 0x61 <= c <= 0x66


def _at(b: bytes, i: int) -> int:
    return b[i] if i < len(b) else 0


def _decode_entity(b: bytes, pos: int, *, need_semicolon: bool) -> tuple[int, int]:
    """(code point, position after it), or (0, pos) when the `&` at pos starts no reference."""
    end = pos + 1
    code = 0
    if _at(b, pos + 1) == ord("#"):
        end += 1
        if _at(b, pos + 2) == ord("x"):
            end += 1
            while _is_hex(_at(b, end)):
                code = code * 16 + int(chr(b[end]), 16)
                end += 1
        else:
            while _is_digit(_at(b, end)):
                code = code * 10 + b[end] - 0x30
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while _is_alpha(_at(b, end)):
            end += 1
        named = _NAMED.get(b[pos + 1 : end])
        if named is None:
            return 0, pos
        code = named
    if _at(b, end) == ord(";"):
        return code, end + 1
    if need_semicolon:
        return 0, pos
    return code, end


class _Parser:
    def __init__(self, source: str, *, strict: bool) -> None:
        try:
            self.b = source.encode("utf-8")
        except UnicodeEncodeError:
            raise EntityParseError("Strings must be encoded in UTF-8") from None
        self.strict = strict
        self.out = bytearray()
        self.utf16 = 0
        self.has_surrogate = False
        self.entities: list[dict[str, Any]] = []
        # (tag name, argument, utf16 offset, byte position in out)
        self.stack: list[tuple[str, str, int, int]] = []

    def at(self, i: int) -> int:
        return _at(self.b, i)

    def append_code(self, code: int) -> None:
        if 0xD800 <= code <= 0xDFFF:
            self.has_surrogate = True
            self.out += chr(code).encode("utf-8", "surrogatepass")
        else:
            self.out += chr(code).encode("utf-8")
        self.utf16 += 2 if code > 0xFFFF else 1

    def parse(self) -> ParsedText:
        b = self.b
        i = 0
        while i < len(b):
            c = b[i]
            if c == ord("&"):
                code, after = _decode_entity(self.b, i, need_semicolon=self.strict)
                if code:
                    self.append_code(code)
                    i = after
                    continue
                if self.strict:
                    raise EntityParseError(
                        f'Unescaped "&" at byte offset {i}: write &amp; '
                        "(strict fake check; real Telegram would show it as text)"
                    )
            if c != ord("<"):  # plain text up to the next `&` or `<`, taken whole
                found = _MARKUP.search(b, i + 1)
                end = found.start() if found else len(b)
                self.out += b[i:end]  # ASCII `&` and `<` never split a UTF-8 sequence
                self.utf16 += utf16_len(b[i:end].decode("utf-8"))
                i = end
                continue
            i = self.end_tag(i) if self.at(i + 1) == ord("/") else self.start_tag(i)
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
            )
        if self.has_surrogate:
            raise EntityParseError(_SURROGATE_ERROR)
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        return ParsedText(self.out.decode("utf-8"), self.entities)

    def start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.at(i) not in _SPACE and self.at(i) != ord(">"):
            i += 1
        if self.at(i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        tag = self.b[begin + 1 : i].decode("utf-8", "replace").lower()
        if tag not in SUPPORTED_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument = ""
        while self.at(i) != ord(">"):
            while self.at(i) != 0 and self.at(i) in _SPACE:
                i += 1
            if self.at(i) == ord(">"):
                break
            name_begin = i
            while self.at(i) not in _SPACE and self.at(i) not in (ord("="), ord(">")):
                i += 1
            name = self.b[name_begin:i].decode("utf-8", "replace")
            if not name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                )
            while self.at(i) != 0 and self.at(i) in _SPACE:
                i += 1
            if self.at(i) != ord("="):
                if tag == "blockquote" and name == "expandable":
                    argument = "1"
                    continue
                raise EntityParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {begin}'
                )
            i += 1
            while self.at(i) != 0 and self.at(i) in _SPACE:
                i += 1
            if self.at(i) == 0:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            value, i = self.attribute_value(i)
            if self.at(i) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            if (tag, name) in (("a", "href"), ("tg-emoji", "emoji-id")):
                argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                argument = value[9:]
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                argument = value[3:]
        if tag == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
            )
        self.stack.append((tag, argument, self.utf16, len(self.out)))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in (ord("'"), ord('"')):
            # a name token: letters, digits, periods, hyphens; case-insensitive
            token_begin = i
            while _is_alpha(self.at(i)) or _is_digit(self.at(i)) or self.at(i) in b".-":
                i += 1
            if self.at(i) not in _SPACE and self.at(i) != ord(">"):
                raise EntityParseError(f"Unexpected end of name token at byte offset {token_begin}")
            return self.b[token_begin:i].decode("ascii").lower(), i
        i += 1
        value = bytearray()
        while self.at(i) != quote and self.at(i) != 0:
            if self.at(i) == ord("&"):
                # attribute values are not held to the strict rule: URLs carry `&` often
                code, after = _decode_entity(self.b, i, need_semicolon=False)
                if code:
                    value += chr(code).encode("utf-8", "surrogatepass")
                    i = after
                    continue
            value.append(self.at(i))
            i += 1
        if self.at(i) == quote:
            i += 1
        return value.decode("utf-8", "replace"), i

    def end_tag(self, begin: int) -> int:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while self.at(i) not in _SPACE and self.at(i) != ord(">"):
            i += 1
        end_name = self.b[begin + 2 : i].decode("utf-8", "replace").lower()
        while self.at(i) in _SPACE and self.at(i) != 0:
            i += 1
        if self.at(i) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        tag, argument, offset, out_pos = self.stack[-1]
        if end_name and end_name != tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                f'found "</{end_name}>"'
            )
        if self.utf16 > offset:
            self.close_entity(tag, argument, offset, self.utf16 - offset, out_pos)
        self.stack.pop()
        return i + 1

    def close_entity(self, tag: str, argument: str, offset: int, length: int, out_pos: int) -> None:
        simple = {
            "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
            "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
            "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler",
        }  # fmt: skip
        entity: dict[str, Any] = {"offset": offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
        if tag in simple:
            entity["type"] = simple[tag]
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if argument else "blockquote"
        elif tag == "tg-emoji":
            if not argument.isascii() or not argument.isdigit() or not 0 < int(argument) < 2**63:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=argument)
        elif tag == "a":
            url = argument or self.out[out_pos:].decode("utf-8", "replace")
            checked = _checked_link(url)
            if checked is None:
                return
            entity.update(type="text_link", url=checked)
        elif tag == "pre":
            if last is not None and same_span and last["type"] == "code" and last.get("language"):
                last["type"] = "pre"
                return
            entity["type"] = "pre"
        elif tag == "code":
            if last is not None and same_span and last["type"] == "pre" and argument:
                last["language"] = argument
                return
            entity["type"] = "code"
            if argument:
                entity["language"] = argument  # dropped at the end unless a <pre> claims it
        else:  # pragma: no cover - SUPPORTED_TAGS and this chain agree
            raise AssertionError(tag)
        self.entities.append(entity)


def _checked_link(url: str) -> str | None:
    """A rough LinkManager::get_checked_link: no entity for what cannot be a URL."""
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    if "://" not in url and not url.startswith(("tg:", "mailto:")):
        if "." not in url:
            return None
        url = "http://" + url
    return url


def parse_html(source: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram HTML, or raise `EntityParseError` with tdlib's message."""
    return _Parser(source, strict=strict).parse()
