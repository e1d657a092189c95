"""Callback fields are StrEnums that keep the values of earlier releases: a button sent
before still parses to the same action, and a value outside the enum does not parse."""

from __future__ import annotations

from enum import StrEnum

import pytest
from aiogram.filters.callback_data import CallbackData

from bot.callbacks import (
    AdminAction,
    AdminCb,
    BatchAction,
    BatchCb,
    ComplaintAction,
    ComplaintCb,
    ListCb,
    ListGo,
    PublishAction,
    PublishCb,
    ReviewAction,
    ReviewCb,
    StoreAction,
    StoreCb,
)

# The values buttons carried before the fields were typed (from the released keyboards).
SENT_BEFORE: list[tuple[type[CallbackData], str, type[StrEnum], set[str]]] = [
    (ReviewCb, "rv:{}:r1", ReviewAction, {"o", "rd", "rg", "re", "rp", "rpc", "cd"}),
    (PublishCb, "rvp:{}:r1:0a1b2c3d", PublishAction, {"rp", "rpc"}),
    (ComplaintCb, "cp:{}:c1:", ComplaintAction, {"o", "s", "g", "e", "rl", "d", "m", "rs"}),
    (BatchCb, "bd:{}:s1", BatchAction, {"ask", "go"}),
    (
        StoreCb,
        "st:{}:s1:",
        StoreAction,
        {"open", "add", "sync", "ren", "tok", "pause", "resume", "mgrs", "del", "delok"}
        | {"inv", "rmm", "chats"},
    ),
    (AdminCb, "adm:{}:u1", AdminAction, {"ok", "no", "lok", "lno"}),
    (ListCb, "ls:v1:{}", ListGo, {"n", "p", "r", "c"}),
]


@pytest.mark.parametrize(("cls", "shape", "enum", "values"), SENT_BEFORE)
def test_buttons_sent_before_still_parse(
    cls: type[CallbackData], shape: str, enum: type[StrEnum], values: set[str]
) -> None:
    assert {member.value for member in enum} == values
    for value in values:
        parsed = cls.unpack(shape.format(value))
        field = "go" if cls is ListCb else "action"
        assert getattr(parsed, field) is enum(value)
        assert parsed.pack() == shape.format(value)


def test_a_value_outside_the_enum_does_not_parse() -> None:
    with pytest.raises(ValueError):
        ReviewCb.unpack("rv:zz:r1")
