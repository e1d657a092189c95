"""Routers per feature, built fresh for each Dispatcher (`bot/routing.py`) and assembled in
one place. Order matters: access first, fallback last."""

from __future__ import annotations

from aiogram import Router

from bot.routing import FeatureRoutes, Handlers


def setup_routers() -> Router:
    from bot.routers import (
        admin,
        ai_settings,
        autoreplies,
        chats,
        complaints,
        fallback,
        menu,
        products,
        questions,
        reviews,
        sequences,
        settings,
        start,
        stats,
        stores,
    )

    root = FeatureRoutes(name="root")
    for feature in (
        start.router,
        admin.router,
        settings.router,
        sequences.router,
        menu.router,
        stores.router,
        reviews.router,
        complaints.router,
        products.router,
        chats.router,
        ai_settings.router,
        stats.router,
        questions.router,
        autoreplies.router,
        fallback.router,
    ):
        root.include_router(_fresh(feature))
    return root


def _fresh(feature: Handlers | Router) -> Router:
    """A new Router of a feature's handlers; a `create_router()` factory's Router as it is."""
    return feature.build() if isinstance(feature, Handlers) else feature
