"""Rendering of the AI settings screens: texts and keyboards, escaped, in the person's language."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from bot.callbacks import AIAction, AICb, MenuCb, MenuSection
from bot.keyboards.menu import back_to_menu
from bot.render import clip, esc
from services.ai.errors import AIErrorCode
from services.ai_settings import (
    AIOverview,
    AISettingsErrorCode,
    Preview,
    PromptKind,
    PromptView,
    Spend,
)
from services.records import StoreRow

CONCURRENCY_PRESETS = (1, 3, 5, 10, 20)
PROMPT_SHOWN_CHARS = 2500


def _btn(text: str, action: AIAction, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=AICb(action=action, arg=arg).pack())


def _back(
    i18n: I18nContext, action: AIAction = AIAction.HOME, arg: str = ""
) -> InlineKeyboardButton:
    return _btn(i18n.get("ai-btn-back"), action, arg)


def error_text(i18n: I18nContext, code: AISettingsErrorCode) -> str:
    return i18n.get(f"ai-error-{code.value.replace('_', '-')}")


def home(
    i18n: I18nContext, o: AIOverview, digest: bool, owns_stores: bool
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [i18n.get("ai-title"), ""]
    if o.key_unreadable:
        lines.append(i18n.get("ai-key-unreadable"))
    elif o.masked_key:
        lines.append(i18n.get("ai-key-set", key=esc(o.masked_key)))
    else:
        lines.append(i18n.get("ai-key-none"))
    lines.append(i18n.get("ai-concurrency", n=o.concurrency))
    cap = i18n.get("ai-cap-none") if o.cap is None else f"${o.cap:.2f}"
    lines.append(i18n.get("ai-cap", cap=cap))
    lines.append(i18n.get("ai-prompts-custom", n=len(o.custom_prompts)))
    lines.append(i18n.get("ai-digest-on") if digest else i18n.get("ai-digest-off"))
    kb = InlineKeyboardBuilder()
    kb.row(_btn(i18n.get("ai-btn-key"), AIAction.KEY))
    if o.masked_key or o.key_unreadable:
        kb.row(_btn(i18n.get("ai-btn-key-remove"), AIAction.KEY_REMOVE))
    kb.row(
        *[
            _btn(f"✓ {n}" if n == o.concurrency else str(n), AIAction.CONCURRENCY, str(n))
            for n in CONCURRENCY_PRESETS
        ]
    )
    kb.row(_btn(i18n.get("ai-btn-prompts"), AIAction.PROMPTS))
    if owns_stores:
        kb.row(_btn(i18n.get("ai-btn-instructions"), AIAction.STORES))
    kb.row(
        _btn(i18n.get("ai-btn-spend"), AIAction.SPEND), _btn(i18n.get("ai-btn-cap"), AIAction.CAP)
    )
    kb.row(
        _btn(
            i18n.get("ai-btn-digest-off") if digest else i18n.get("ai-btn-digest-on"),
            AIAction.DIGEST,
            "0" if digest else "1",
        )
    )
    kb.row(
        InlineKeyboardButton(
            text=i18n.get("ai-btn-settings"),
            callback_data=MenuCb(section=MenuSection.SETTINGS).pack(),
        ),
        back_to_menu(i18n),
    )
    return "\n".join(lines), kb.as_markup()


def prompts(i18n: I18nContext, custom: tuple[PromptKind, ...]) -> tuple[str, InlineKeyboardMarkup]:
    kb = InlineKeyboardBuilder()
    for kind in PromptKind:
        mark = "✏️ " if kind in custom else ""
        kb.row(_btn(mark + i18n.get(f"ai-prompt-{kind.value}"), AIAction.PROMPT, kind.value))
    kb.row(_back(i18n))
    return i18n.get("ai-prompts-title"), kb.as_markup()


def _variables(i18n: I18nContext, kind: PromptKind) -> str:
    if not kind.variables:
        return i18n.get("ai-prompt-no-vars")
    return i18n.get("ai-prompt-vars", vars=esc(", ".join(kind.variables)))


def prompt(i18n: I18nContext, view: PromptView) -> tuple[str, InlineKeyboardMarkup]:
    kind = view.kind
    text = "\n".join(
        [
            f"<b>{esc(i18n.get(f'ai-prompt-{kind.value}'))}</b>",
            i18n.get(f"ai-purpose-{kind.value}"),
            _variables(i18n, kind),
            i18n.get("ai-prompt-custom") if view.custom else i18n.get("ai-prompt-default"),
            "",
            f"<blockquote expandable>{clip(view.text, PROMPT_SHOWN_CHARS)}</blockquote>",
        ]
    )
    kb = InlineKeyboardBuilder()
    kb.row(_btn(i18n.get("ai-btn-replace"), AIAction.REPLACE, kind.value))
    if view.custom:
        kb.row(_btn(i18n.get("ai-btn-reset"), AIAction.RESET, kind.value))
    kb.row(_back(i18n, AIAction.PROMPTS))
    return text, kb.as_markup()


def ask_prompt(i18n: I18nContext, kind: PromptKind) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join(
        [
            i18n.get("ai-prompt-ask", name=esc(i18n.get(f"ai-prompt-{kind.value}"))),
            i18n.get(f"ai-purpose-{kind.value}"),
            _variables(i18n, kind),
        ]
    )
    kb = InlineKeyboardBuilder()
    kb.row(_back(i18n, AIAction.PROMPT, kind.value))
    return text, kb.as_markup()


def candidate(
    i18n: I18nContext, kind: PromptKind, text: str, preview: Preview | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        i18n.get("ai-candidate", name=esc(i18n.get(f"ai-prompt-{kind.value}"))),
        f"<blockquote expandable>{clip(text, 1500)}</blockquote>",
    ]
    if preview is not None:
        lines += [
            "",
            i18n.get("ai-preview-on", sample=clip(preview.sample, 400)),
            i18n.get("ai-preview-result", output=clip(preview.output, 1500)),
        ]
    kb = InlineKeyboardBuilder()
    kb.row(_btn(i18n.get("ai-btn-preview"), AIAction.PREVIEW, kind.value))
    kb.row(_btn(i18n.get("ai-btn-save"), AIAction.SAVE, kind.value))
    kb.row(_back(i18n, AIAction.PROMPT, kind.value))
    return "\n".join(lines), kb.as_markup()


def ask_key(i18n: I18nContext) -> tuple[str, InlineKeyboardMarkup]:
    return i18n.get("ai-key-ask"), InlineKeyboardMarkup(inline_keyboard=[[_back(i18n)]])


def ask_cap(i18n: I18nContext) -> tuple[str, InlineKeyboardMarkup]:
    return i18n.get("ai-cap-ask"), InlineKeyboardMarkup(inline_keyboard=[[_back(i18n)]])


def spend(i18n: I18nContext, s: Spend) -> tuple[str, InlineKeyboardMarkup]:
    lines = [i18n.get("ai-spend-title", total=f"{s.total:.2f}", calls=s.calls)]
    if s.cap is not None:
        key = "ai-spend-cap-reached" if s.cap_reached else "ai-spend-cap"
        lines.append(i18n.get(key, cap=f"{s.cap:.2f}"))
    if not s.lines:
        lines.append(i18n.get("ai-spend-empty"))
    for line in s.lines[:20]:
        task = (
            i18n.get(f"ai-prompt-{line.task}")
            if line.task in {k.value for k in PromptKind}
            else line.task
        )
        lines.append(
            f"• {esc(task)} — {esc(line.store)}: {line.calls} · ${line.cost:.4f}".rstrip("0")
        )
    kb = InlineKeyboardBuilder()
    kb.row(_btn(i18n.get("ai-btn-cap"), AIAction.CAP), _back(i18n))
    return "\n".join(lines), kb.as_markup()


def stores(i18n: I18nContext, owned: list[StoreRow]) -> tuple[str, InlineKeyboardMarkup]:
    kb = InlineKeyboardBuilder()
    for store in owned:
        kb.row(_btn(store.name, AIAction.INSTRUCTIONS, store.id))
    kb.row(_back(i18n))
    return i18n.get("ai-instructions-pick"), kb.as_markup()


def instructions(
    i18n: I18nContext, store_id: str, text: str | None
) -> tuple[str, InlineKeyboardMarkup]:
    body = (
        f"<blockquote expandable>{clip(text, 2000)}</blockquote>"
        if text
        else i18n.get("ai-instructions-none")
    )
    kb = InlineKeyboardBuilder()
    kb.row(_btn(i18n.get("ai-btn-replace"), AIAction.INSTRUCTIONS_EDIT, store_id))
    if text:
        kb.row(_btn(i18n.get("ai-btn-clear"), AIAction.INSTRUCTIONS_CLEAR, store_id))
    kb.row(_back(i18n, AIAction.STORES))
    return "\n".join([i18n.get("ai-instructions-title"), body]), kb.as_markup()


def ask_instructions(i18n: I18nContext, store_id: str) -> tuple[str, InlineKeyboardMarkup]:
    kb = InlineKeyboardMarkup(inline_keyboard=[[_back(i18n, AIAction.INSTRUCTIONS, store_id)]])
    return i18n.get("ai-instructions-ask"), kb


AI_ERROR_KEYS: dict[AIErrorCode, str] = {AIErrorCode.BUDGET_REACHED: "ai-cap-reached"}


def ai_failure(i18n: I18nContext, exc: Exception, default_key: str) -> str:
    """The text for a failed AI draft: the cap's own words, else the screen's default."""
    code = getattr(exc, "code", None)
    return i18n.get(AI_ERROR_KEYS.get(code, default_key) if code is not None else default_key)
