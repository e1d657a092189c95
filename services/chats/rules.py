"""Chat tags by rules: Russian regular expressions over a chat's last messages.

The rules answer only when they are sure; otherwise `tag_by_rules` returns `unsure` and the
tagger asks the LLM (domain-rules.md, "Chats": one store with 10k chats quadrupled its LLM bill
when every chat went to the model). "Sure" means exactly one kind of signal in the buyer's last
message (or a clear seller-side state) and no anti-pattern: "не буду удалять" is a refusal,
not an agreement, whatever else the message says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from services.ai.chat_tags import ChatTag
from services.untrusted import strip_invisible

_F = re.IGNORECASE | re.UNICODE


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), _F)


# Refusals first: they win over agreement words in the same message ("хорошо, но удалять не буду").
REFUSAL: Final = _rx(
    r"не\s+(?:буду|стану|собираюсь|хочу)\s+(?:ничего\s+)?(?:удал|измен|менят|исправл|переписыв|убира)",
    r"не\s+(?:удалю|изменю|исправлю|уберу|поменяю)",
    r"отзыв\s+(?:остав(?:лю|ляю)|останется)",
    r"ни\s+за\s+что",
    r"(?:оценк\w*|отзыв\w*)\s+(?:не\s+)?(?:менять|удалять)\s+не\s+буду",
    r"не\s+пишите\s+мне",
    r"отстаньте",
)
CONFIRMED: Final = _rx(
    r"(?<!не\s)(?:удалил|удалила|убрал|убрала)\s+(?:свой\s+|ваш\s+)?(?:отзыв|оценку)",
    r"(?<!не\s)(?:изменил|изменила|исправил|исправила|поменял|поменяла|обновил|обновила)"
    r"\s+(?:свой\s+)?(?:отзыв|оценку|звезд)",
    r"(?<!не\s)(?:поставил|поставила)\s+(?:уже\s+)?(?:5|пять|пятерку|пятёрку)",
    r"отзыв\s+(?:уже\s+)?(?:удал[её]н|изменен|изменён|исправлен)",
    r"(?:оценку|отзыв)\s+(?:уже\s+)?(?:исправил|исправила|поменял|поменяла|изменил|изменила)",
)
AGREED: Final = _rx(
    r"(?:хорошо|ладно|ок|окей|договорились|давайте|согласен|согласна)[,!.\s]+(?:\S+\s+){0,3}?"
    r"(?:удалю|изменю|исправлю|поменяю|уберу|обновлю|дополню)",
    r"(?:готов|готова)\s+(?:\S+\s+)?(?:удалить|изменить|исправить|поменять|убрать|дополнить)",
    r"(?<!не\s)(?:удалю|изменю|исправлю|поменяю|уберу)\s+(?:\S+\s+)?(?:отзыв|оценку)",
    r"(?:исправлю|поменяю|изменю|подниму)\s+(?:оценку|звезд)",
)
REFUND: Final = _rx(
    r"верн\w*\s+(?:мне\s+)?(?:деньги|средства|оплату|стоимость)",
    r"возврат\w*\s+(?:денег|средств)",
    r"(?:оформить|сделать|хочу|нужен|можно)\s+(?:\S+\s+)?возврат",
    r"компенсац",
    r"деньги\s+(?:назад|верните)",
    r"хочу\s+вернуть",
)
SUCCESS: Final = _rx(
    r"(?:проблем\w*|вопрос\w*)\s+(?:решен|решён|решилас|решился|закрыт)",
    r"вс[её]\s+(?:решилось|хорошо|отлично|получил|получила|пришло)",
    r"(?<!не\s)(?:доволен|довольна|довольны)",
    r"(?:большое\s+)?спасибо\s+(?:за\s+)?(?:помощь|решение|замену|компенсацию|возврат)",
    r"(?:замену|деньги|компенсацию|возврат)\s+(?:уже\s+)?(?:получил|получила)",
)
COMPLAINT: Final = _rx(
    r"брак\w*",
    r"сломал\w*|сломан\w*|слома\w+",
    r"не\s+работа\w*",
    r"не\s+(?:подош|подход)\w*",
    r"(?:порван|порвал|разорван|треснул|трещин|дыр[ая]|пятн[оа])\w*",
    r"не\s+(?:тот|та|то|те)\s+(?:размер|цвет|товар|модель)",
    r"(?:пришел|пришёл|пришла|пришло|прислали)\s+(?:\S+\s+)?(?:не\s+т|друг|брак|сломан|без|пуст)",
    r"(?:плохое|ужасное|отвратительное)\s+качество",
    r"(?:не\s+соответствует|не\s+как\s+на\s+фото)",
    r"(?:маломерит|большемерит|воняет|запах\w*)",
    r"не\s+хватает|нет\s+в\s+комплекте|некомплект",
    r"разочарован\w*",
)
SPAM: Final = _rx(
    r"https?://|www\.|t\.me/|@\w{4,}",
    r"(?:заработ\w*|доход\w*)\s+(?:от|до)?\s*\d",
    r"подписывайтесь|подпишись|казино|ставки\s+на\s+спорт|крипт\w+|инвестиц\w*",
    r"(?:продвижени\w*|раскрутк\w*)\s+(?:карточ|магазин|товар)",
)
DONE: Final = _rx(
    r"^\s*(?:спасибо|благодарю|ок|окей|хорошо|понятно|понял|поняла)[\s!.)]*$",
    r"вопросов\s+(?:больше\s+)?нет",
    r"до\s+свидания",
)
QUESTION: Final = _rx(r"\?\s*$", r"^\s*(?:как|когда|где|почему|зачем|что|можно|подскажите)\b")
OFFER: Final = _rx(
    r"(?:пересмотреть|изменить|дополнить|обновить|исправить)\s+(?:\S+\s+)?(?:отзыв|оценку)",
    r"(?:удалить|убрать)\s+(?:\S+\s+)?отзыв",
)


@dataclass(frozen=True, slots=True)
class Msg:
    sender: str  # client, seller, wb
    text: str | None


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    tag: ChatTag | None
    """None: the rules are unsure, ask the LLM."""
    reason: str
    deletion: bool = False
    """The chat is in (or next to) the deletion funnel: the LLM gets the deletion prompt."""


NO_REPLY_AFTER: Final = 2
"""Seller messages in a row with no buyer answer that make a chat `no_reply`."""


def _norm(text: str | None) -> str:
    return " ".join(strip_invisible(text or "").lower().replace("ё", "е").split())


def _one_message(last: str, *, newest: bool) -> RuleVerdict | None:
    """The verdict of one buyer message; None when it shows nothing. Closing words count
    only in the newest message ("Спасибо" before "Верните деньги" closes nothing)."""
    if SPAM.search(last):
        return RuleVerdict("spam", "link or advertising")
    if REFUSAL.search(last):
        return RuleVerdict("unsuccessful", "refusal (anti-pattern)")
    hits: list[tuple[ChatTag, str]] = []
    if CONFIRMED.search(last):
        hits.append(("deletion_confirmed", "buyer changed the review"))
    elif AGREED.search(last):
        hits.append(("deletion_agreed", "buyer agrees to change the review"))
    if REFUND.search(last):
        hits.append(("refund_requested", "asks for money back"))
    if SUCCESS.search(last):
        hits.append(("successful", "problem solved"))
    if not hits and COMPLAINT.search(last):
        hits.append(("deletion_candidate", "complaint about the product"))
    if not hits and newest and DONE.search(last):
        hits.append(("completed", "closing words"))
    if len(hits) == 1:
        return RuleVerdict(hits[0][0], hits[0][1])
    if len(hits) > 1:
        return RuleVerdict(None, "mixed: " + ", ".join(t for t, _ in hits), deletion=True)
    return None


def tag_by_rules(messages: Sequence[Msg], current: str = "untagged") -> RuleVerdict:
    """The tag the last messages show, or an unsure verdict. `messages` oldest first."""
    people = [m for m in messages if m.sender in ("client", "seller") and (m.text or "").strip()]
    in_funnel = current.startswith("deletion_")
    if not people:
        return RuleVerdict(None, "no text", deletion=in_funnel)
    trailing_seller = 0
    for m in reversed(people):
        if m.sender != "seller":
            break
        trailing_seller += 1
    buyer = [m for m in people if m.sender == "client"]
    if trailing_seller:
        last_seller = _norm(people[-1].text)
        if not buyer:
            return RuleVerdict(None, "only the seller wrote")
        if trailing_seller >= NO_REPLY_AFTER:
            return RuleVerdict("no_reply", f"{trailing_seller} seller messages unanswered")
        if OFFER.search(last_seller):
            return RuleVerdict("deletion_offered", "the seller asked to reconsider the review")
        return RuleVerdict("active", "the seller answered, the buyer's turn")
    text = " ".join(_norm(m.text) for m in buyer)
    # The buyer's trailing run (what they wrote since the seller's last message), newest
    # first: "Верните деньги" followed by "Ответьте, пожалуйста" is still a refund request.
    run: list[str] = []
    for m in reversed(people):
        if m.sender != "client":
            break
        run.append(_norm(m.text))
    for i, last in enumerate(run):
        verdict = _one_message(last, newest=i == 0)
        if verdict is not None:
            return verdict
    if in_funnel or COMPLAINT.search(text):
        return RuleVerdict(None, "no clear signal in a funnel chat", deletion=True)
    return RuleVerdict(None, "question" if QUESTION.search(run[0]) else "no rule matched")
