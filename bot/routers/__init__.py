"""Routers per feature, assembled in one place. Order matters: access first, fallback last."""

from __future__ import annotations

from aiogram import Router


def _adopt(parent: Router, child: Router) -> None:
    """Include a module-level router, detaching it from a previous Dispatcher's tree.

    Feature routers are module singletons (decorators need them at import); a process that
    builds a second Dispatcher (tests, a restart in place) must be able to take them over.
    """
    old = child.parent_router
    if old is not None:
        old.sub_routers.remove(child)
        child._parent_router = None
    parent.include_router(child)


def setup_routers() -> Router:
    from bot.routers import (
        admin,
        autoreplies,
        chats,
        complaints,
        fallback,
        menu,
        products,
        questions,
        reviews,
        settings,
        start,
        stores,
    )

    root = Router(name="root")
    for feature in (
        start.router,
        admin.router,
        settings.router,
        menu.router,
        stores.router,
        reviews.router,
        complaints.router,
        products.router,
        chats.router,
    ):
        _adopt(root, feature)
    root.include_router(questions.setup())
    root.include_router(autoreplies.setup())
    _adopt(root, fallback.router)
    return root
