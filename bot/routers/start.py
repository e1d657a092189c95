"""Placeholder entry until the access flow lands: answers /start."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.types import Message

router = Router(name="start")


@router.message(CommandStart())
async def on_start(message: Message) -> None:
    await message.answer("WB Reputation Manager")
