"""Email normal form: spellings of one address are one person; look-alikes are refused."""

from __future__ import annotations

import pytest

from services import access
from services.access import AccessError
from services.emails import EmailProblem, normalize, shown

SAME_PERSON = [
    "ivan@example.com",
    "Ivan@Example.COM",
    "  ivan@example.com\u00a0",  # a no-break space pasted after it
    "iv\u200ban@example.com",  # zero-width space
    "iva\u200dn@exam\u200cple.com",  # zero-width joiner / non-joiner
    "\ufeffivan@example.com",  # byte order mark
    "iv\u00adan@example.com",  # soft hyphen
    "i\u2060van@example.com",  # word joiner
    "ivan\u180e@example.com",  # Mongolian vowel separator
    "ｉｖａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ",  # full-width letters, at sign and dot (NFKC)
    "\u202eivan@example.com",  # a right-to-left override
]


@pytest.mark.parametrize("typed", SAME_PERSON)
def test_spellings_of_one_address_are_one_person(typed: str) -> None:
    assert normalize(typed) == "ivan@example.com"
    assert access.normalize_email(typed) == "ivan@example.com"


REFUSED = [
    ("iv\u0430n@example.com", EmailProblem.LOCAL),  # Cyrillic а among Latin letters
    ("\u0456van@example.com", EmailProblem.LOCAL),  # Ukrainian і
    ("ivan\u0440@example.com", EmailProblem.LOCAL),  # Cyrillic р
    ("ivan\u03bf@example.com", EmailProblem.LOCAL),  # Greek omicron
    ("иван@mail.ru", EmailProblem.LOCAL),  # a whole Cyrillic name is a look-alike risk too
    ("iv\x00an@example.com", EmailProblem.LOCAL),  # NUL
    ("a..b@example.com", EmailProblem.LOCAL),
    ("ivan@ex\u0430mple.com", EmailProblem.MIXED),  # Cyrillic а inside a Latin domain
    ("ivan@\u0435xample.com", EmailProblem.MIXED),
    ("ivan@xn--exmple-4nf.com", EmailProblem.MIXED),  # the same, typed as punycode
    ("ivan@xn--zz.com", EmailProblem.DOMAIN),  # punycode that decodes to nothing
    ("ivan@-example.com", EmailProblem.DOMAIN),
    ("ivan@example.c0m", EmailProblem.DOMAIN),
    ("ivan@exa_mple.com", EmailProblem.DOMAIN),
    ("ivan@☃.com", EmailProblem.DOMAIN),
    ("ivan at example.com", EmailProblem.SHAPE),
    ("ivan@exa mple.com", EmailProblem.SHAPE),
    ("ivan@@example.com", EmailProblem.SHAPE),
    ("ivan@example", EmailProblem.SHAPE),
    ("@example.com", EmailProblem.SHAPE),
    ("ivan@", EmailProblem.SHAPE),
    ("\u200b", EmailProblem.SHAPE),
    ("a" * 65 + "@example.com", EmailProblem.SHAPE),
]


@pytest.mark.parametrize(("typed", "problem"), REFUSED)
def test_look_alikes_and_broken_addresses_are_refused(typed: str, problem: EmailProblem) -> None:
    with pytest.raises(AccessError) as err:
        access.normalize_email(typed)
    assert err.value.code == "invalid_email" and err.value.problem == problem


def test_an_international_domain_is_stored_in_its_idna_form() -> None:
    assert normalize("Ivan@Пример.РФ") == "ivan@xn--e1afmkfd.xn--p1ai"
    assert normalize("ivan@xn--e1afmkfd.xn--p1ai") == "ivan@xn--e1afmkfd.xn--p1ai"
    assert normalize("ivan@münchen.de") == "ivan@xn--mnchen-3ya.de"
    assert normalize("Ivan.Petrov+WB@Mail.RU") == "ivan.petrov+wb@mail.ru"


def test_admins_read_every_email_unambiguously() -> None:
    assert shown("ivan@example.com") == "ivan@example.com"
    assert shown("ivan@xn--e1afmkfd.xn--p1ai") == "ivan@xn--e1afmkfd.xn--p1ai (ivan@пример.рф)"
    # Rows stored before the rules: flagged, every unusual character spelled out.
    assert shown("iv\u200ban@example.com") == "⚠ iv[U+200B]an@example.com"
    assert shown("iv\u0430n@example.com") == "⚠ iv[U+0430]n@example.com"
    looks = {
        shown(e) for e in ("ivan@example.com", "iv\u200ban@example.com", "iv\u0430n@example.com")
    }
    assert len(looks) == 3
