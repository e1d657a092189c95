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
        ai_settings,
        complaints,
        fallback,
        menu,
        products,
        reviews,
        settings,
        start,
        stats,
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
        ai_settings.router,
        stats.router,
        fallback.router,
    ):
        _adopt(root, feature)
    return root
