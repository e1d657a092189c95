"""Routers per feature, assembled in one place."""

from __future__ import annotations

from aiogram import Router


def setup_routers() -> Router:
    from bot.routers import start

    root = Router(name="root")
    root.include_router(start.router)
    return root
