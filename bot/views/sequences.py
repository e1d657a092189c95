"""Screens of the follow-up message sets, and the schedule a chat card shows before a start."""

from __future__ import annotations

from aiogram_i18n import I18nContext

from bot.render import clip, esc
from services.ai.guard import describe_problems
from services.message_sets import MessageSetError, SetError, SetView
from services.sequences import Plan, SequenceStartError

PREVIEW = 120


def home_text(i18n: I18nContext, sets: list[SetView]) -> str:
    lines = [i18n.get("seq-title"), "", i18n.get("seq-about"), ""]
    for view in sets:
        lines.append(
            i18n.get(
                f"seq-set{int(view.set_no)}-summary",
                count=len(view.messages),
                trigger=esc(view.trigger) if view.trigger else i18n.get("seq-none"),
                stop=i18n.get("seq-yes") if view.stop_message else i18n.get("seq-no"),
            )
        )
    return "\n".join(lines)


def set_text(i18n: I18nContext, view: SetView) -> str:
    lines = [i18n.get(f"seq-set{int(view.set_no)}-title"), ""]
    if not view.messages:
        lines.append(i18n.get("seq-empty"))
    for i, text in enumerate(view.messages):
        lines.append(f"<b>{i + 1}.</b> {clip(text, PREVIEW)}")
    lines += [
        "",
        i18n.get(
            "seq-trigger",
            trigger=clip(view.trigger, PREVIEW) if view.trigger else i18n.get("seq-none"),
        ),
        i18n.get(
            "seq-stop",
            stop=clip(view.stop_message, PREVIEW) if view.stop_message else i18n.get("seq-none"),
        ),
    ]
    return "\n".join(lines)


def error_text(i18n: I18nContext, exc: MessageSetError) -> str:
    if exc.code is SetError.GUARD:
        return i18n.get("seq-err-guard", problems=esc("; ".join(describe_problems(exc.problems))))
    return i18n.get(f"seq-err-{exc.code.value}")


def schedule_text(i18n: I18nContext, plan: Plan) -> str:
    """ "1 message a day from tomorrow 10:00-17:00 MSK, up to 14" (+ the stop message)."""
    text = i18n.get("seq-schedule", start=plan.window_start, end=plan.window_end, steps=plan.steps)
    if plan.with_stop_message:
        text += " " + i18n.get("seq-schedule-stop")
    return text


def start_error_text(i18n: I18nContext, exc: SequenceStartError) -> str:
    """For the chat card's "Start follow-ups" (the chats feature)."""
    return i18n.get(f"seq-start-err-{exc.code.value}")
