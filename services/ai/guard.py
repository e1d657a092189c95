"""The output guard: rules (patterns and lengths) every outgoing text passes, never an LLM call.

It blocks what WB forbids and what `domain-rules.md` ("What the AI may say") rules out:
mentions of AI, direct requests to delete a review, money or gifts traded for the rating or for
deleting, any money at 4-5 stars, compensation the product's rules do not offer (or above
their maximum), links, phone numbers, off-platform contacts, requests for personal data,
markdown. It allows the chat strategies: asking whether the buyer would reconsider, update or
add to the review, and offering to fix the buyer's problem.

Patterns work on a normalised copy (lower case, "ё" -> "е") and match Russian word stems.
The guard errs on the side of blocking: a blocked text is shown to a person, never lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

Channel = Literal["review_reply", "question_reply", "chat", "complaint"]

# Length bounds per channel, in characters of the stripped text.
# Feedback answers: WB accepts 2..5000. Question answers: no documented cap, same as feedback.
# Chat messages: 1000 (POST /api/v1/seller/message). Complaints: 900 (WB's hard cap is 1000).
LENGTH_BOUNDS: Final[dict[Channel, tuple[int, int]]] = {
    "review_reply": (2, 5000),
    "question_reply": (2, 5000),
    "chat": (2, 1000),
    "complaint": (10, 900),
}
CHAT_SENTENCES: Final = (2, 5)

PROBLEM_DESCRIPTIONS: Final[dict[str, str]] = {
    "empty": "текст пустой",
    "too_short": "текст слишком короткий",
    "too_long": "текст длиннее допустимого",
    "mentions_ai": "упоминание ИИ, нейросети или бота",
    "asks_to_delete": "прямая просьба удалить или убрать отзыв",
    "money_for_rating": "деньги, подарок или бонус в обмен на оценку или удаление отзыва",
    "money_at_4_stars": "деньги или компенсация при оценке 4-5 звёзд",
    "compensation_not_allowed": "компенсация, которую правила товара не разрешают",
    "compensation_over_max": "компенсация больше максимума из правил товара",
    "link": "ссылка или адрес сайта",
    "phone": "номер телефона",
    "external_contact": "контакт вне Wildberries (мессенджер, почта)",
    "personal_data": "просьба сообщить личные данные",
    "markdown": "разметка markdown",
    "greeting_to_moderator": "приветствие или обращение к модераторам",
    "review_reference": "ссылка на отзыв в виде «отзыв <имя> от <даты>»",
    "second_greeting": "повторное приветствие в начатом диалоге",
    "too_many_sentences": "больше 5 предложений в сообщении чата",
    "too_few_sentences": "меньше 2 предложений в сообщении чата",
}


@dataclass(frozen=True, slots=True)
class GuardResult:
    """`ok` when no problem was found; `warnings` are soft and never block a text."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        """Russian descriptions of the problems, for the person and for the model's retry."""
        return [PROBLEM_DESCRIPTIONS.get(p, p) for p in self.problems]


def normalize(text: str) -> str:
    """Lower case, "ё" -> "е", one kind of space; what every pattern below matches."""
    t = text.lower().replace("ё", "е")
    t = t.replace("\u00a0", " ").replace("\u202f", " ")
    return t


def _rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags | re.UNICODE)


# --- mentions of AI ------------------------------------------------------------------------
# Self-references that never belong in a text from the seller.
_AI_ANY = _rx(
    r"нейро\s*сет\w*|нейронк\w*|нейронн\w*\s+сет\w*"
    r"|искусственн\w*\s+интеллект\w*|(?<!\w)ии(?!\w)|(?<![\w-])ai(?![\w-])|ai-\w+"
    r"|chat\s*-?\s*gpt|(?<!\w)gpt\w*|openai|deep\s*seek|дипсик\w*|чат\s*гпт|(?<!\w)гпт"
    r"|языков\w*\s+модел\w*|сгенерирова\w*|генеративн\w*"
    r"|автоматическ\w*\s+(?:сгенерир\w*|созда\w*|составлен\w*|ответ\w*)"
    r"|виртуальн\w*\s+(?:помощник\w*|ассистент\w*)|(?<!\w)ассистент\w*|автоответ\w*"
    r"|(?:написан|составлен|подготовлен|создан)\w*\s+(?:роботом|программ\w*|машин\w*)"
)
# "Бот" (not "ботинки", "работа"): blocked for buyers; a complaint may say a review came from bots.
_AI_BOT = _rx(r"(?<!\w)(?:чат-?|телеграм-?)?бот(?:а|у|ом|е|ы|ов|ам|ами|ах)?(?!\w)")

# --- requests to delete ----------------------------------------------------------------------
# Forms of "удалить" only: "удалось", "удалённый" are other words.
_DELETE_FORMS = (
    r"удал(?:и(?:те|ть|л[аио]?|т|шь|м)?|я(?:ть|й(?:те)?|ем|ете|ет|ют|ли|л[аио]?)"
    r"|ени[еяюий]|ением)(?!\w)"
)
_DEL_VERB = (
    rf"(?:{_DELETE_FORMS}"
    r"|убер(?:и|ите|ет|ете|ут)|убра(?:ть|ли|ла|л)"
    r"|сним(?:и|ите|ет|ете|ут)|снят(?:ь|ие|ия)|снял\w*"
    r"|сотр(?:и|ите|ет|ете)|стер(?:еть|ли|ла)"
    r"|скро(?:й|йте|ете|ет)|скрыть)"
)
_REVIEW_NOUN = r"(?:отзыв\w*|оценк\w*|комментари\w*)"
_ASKS_DELETE = _rx(
    rf"(?<!\w){_DEL_VERB}(?!\w)[^.!?;\n]{{0,40}}?(?<!\w){_REVIEW_NOUN}"
    rf"|(?<!\w){_REVIEW_NOUN}[^.!?,;\n]{{0,30}}?(?<!\w){_DEL_VERB}(?!\w)"
)

# --- money ---------------------------------------------------------------------------------------
# Money offered, or a reward in kind. Mere mentions of a price or of a gift purchase are not.
_OFFER_VERB = r"(?:дад|дади|предостав|предлож|сдела|дари|дарим|подар|начисл|отправ|пришл|вышл)\w*"
_MONEY = _rx(
    r"деньг\w*|денежн\w*|(?<!\w)руб(?:л\w*|\.|(?!\w))|₽|(?<!\w)rub(?!\w)"
    r"|компенсац\w*|компенсир\w*|возмещ\w*|возмест\w*"
    r"|к[еэ]шб[еэ]к\w*|cash\s*back|(?<!\w)кеш(?!\w)"
    r"|возврат\w*\s+(?:\w+\s+)?(?:средств|денег|деньг\w*|стоимост\w*|оплат\w*|част\w*)"
    r"|верн\w*\s+(?:\w+\s+){0,2}?(?:деньг\w*|средств\w*|стоимост\w*|оплат\w*|част\w*)"
    r"|(?<!\w)(?:подарим|дарим|подарю)(?!\w)|подарочн\w*"
    rf"|{_OFFER_VERB}\s+(?:\w+\s+){{0,2}}?(?:подар\w*|скидк\w*|сертификат\w*|балл\w*)"
    r"|подар(?:ок|ки|ка)\s+(?:от\s+(?:нас|магазин\w*|продавц\w*)|за\s)"
    r"|скидк\w*\s+(?:в\s+)?(?:\d|на\s+(?:следующ|повторн|любой|любую|все|\d))"
    r"|персональн\w*\s+скидк\w*|бонус\w*|промокод\w*|промо-код\w*|купон\w*"
    r"|сертификат\w*\s+на\s+(?:покупк|сумм|\d)|вознагражд\w*|выплат\w*"
    r"|заплат(?:им|ите|ить)(?!\w)|оплатим|возместим"
    r"|перевед\w*\s+(?:вам\s+)?(?:\d|деньг|средств|сумм)|перевод\w*\s+на\s+карт\w*"
)
# Phrases about price or value, or WB's own refund, that mention money without offering any.
_MONEY_IDIOMS = _rx(
    r"(?:сво\w*|эти\w*|так\w*|небольш\w*|разумн\w*|доступн\w*|адекватн\w*|скромн\w*"
    r"|потрачен\w*|отдан\w*)\s+(?:\w+\s+)?деньг\w*|деньг\w*\s+на\s+ветер"
    r"|деньг\w*\s+(?:\w+\s+)?(?:вернутся|возвращаются|поступ\w+|будут\s+возвращен\w*)"
)
# Rewards in kind: they count when tied to the rating, not as mere mentions.
_REWARD = _rx(r"подар\w*|бесплатн\w*")
_CHANGE_VERB = (
    rf"(?:{_DEL_VERB}|измен\w*|исправ\w*|повыс\w*|повыш\w*|обнов\w*|пересмотр\w*"
    r"|постав(?:ь|ьте|ите|ил\w*|ит|ят|ить)|поменя\w*|отредактир\w*|редактир\w*"
    r"|скорректир\w*|подня\w*|подним\w*|дополн(?!ительн)\w*)"
)
_RATING_NOUN = r"(?:оценк\w*|отзыв\w*|звезд\w*|пят[еи]рк\w*|рейтинг\w*)"
_CHANGE_RATING = _rx(
    rf"(?<!\w){_CHANGE_VERB}[^.!?]{{0,40}}?{_RATING_NOUN}"
    rf"|(?:оценк\w*|отзыв\w*|рейтинг\w*)[^.!?]{{0,30}}?(?<!\w){_CHANGE_VERB}"
    r"|(?<!\d)5\s*(?:звезд\w*|\*|⭐)|пят[еи]рк\w*|пять\s+звезд\w*"
    r"|(?<!\w)(?:остав|напиш|напис)\w*\s+(?:\w+\s+)?(?:отзыв\w*|оценк\w*)"
    r"|(?<!\w)(?:на|до)\s+(?:5|пять)(?:\s*(?:звезд\w*|\*|⭐))?(?!\s*[\w%₽])"
)
_TRADE_FOR = _rx(
    r"(?<!\w)за\s+(?:\w+\s+){0,2}?(?:оценк\w*|отзыв\w*|звезд\w*|пят[еи]рк\w*|рейтинг\w*"
    r"|5\s*(?:звезд\w*|\*|⭐)|удалени\w*|изменени\w*|исправлени\w*|обновлени\w*|повышени\w*)"
    rf"|(?:в\s+обмен\s+на|взамен|при\s+условии)[^.!?]{{0,40}}?(?:{_RATING_NOUN}|удал|измен)"
)
_THANKS = _rx(
    r"(?:спасибо|благодар\w*)\s+(?:\w+\s+){0,2}?за\s+(?:\w+\s+){0,2}?"
    r"(?:отзыв\w*|оценк\w*|обратн\w+\s+связ\w*|\d\s*звезд\w*|звезд\w*|пят[еи]рк\w*)"
    r"|(?:спасибо|благодар\w*)[^.!?]{0,20}?что\s+(?:\w+\s+){0,3}?"
    r"(?:остав|написа|подел|нашли)\w*\s+(?:\w+\s+){0,3}?"
    r"(?:отзыв\w*|оценк\w*|мнени\w*|впечатлени\w*)"
)
_RUB_AMOUNT = _rx(r"(\d[\d ]{0,9})\s*(?:₽|руб)")
_PCT_AMOUNT = _rx(r"(\d{1,3}(?:[.,]\d+)?)\s*(?:%|процент)")

# --- links, phones, contacts, personal data ---------------------------------------------------
_LINK = _rx(
    r"https?://|(?<!\w)www\.|(?<!\w)t\.me/|(?<![\w@.])(?:[a-z0-9-]+\.)+"
    r"(?:ru|com|рф|net|org|su|io|me|info|biz|shop|store|online|site|pro|club|link|ly|by|kz|ua)"
    r"(?![\w])|(?<![\w.])[a-zа-я0-9-]+\.рф(?!\w)"
)
_PHONE = _rx(
    r"(?:\+\s*7|(?<!\d)8)[\s\-()]*\d{3}[\s\-()]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(?!\d)"
    r"|(?<!\d)\d{3}-\d{2}-\d{2}(?!\d)"
    r"|(?<![\d.,])(?:[78]\d{10}|9\d{9})(?![\d.,])"
)
_EXTERNAL_CONTACT = _rx(
    r"whats\s*app|в[ао]тс[ао]п\w*|ватсап\w*|viber|вайбер\w*|telegram|телеграм\w*|(?<!\w)тг(?!\w)"
    r"|(?<!\w)вк(?!\w)|вконтакт\w*|instagram|инстаграм\w*|e-?mail|имейл\w*|емейл\w*"
    r"|электронн\w+\s+почт\w*|(?<![\w.])[a-z0-9._-]+@[a-z0-9-]+\.[a-z]{2,}"
    r"|(?<![\w@])@[a-z0-9_]{4,}"
)
_PD_NOUN = (
    r"(?:номер\w*\s+(?:\w+\s+)?(?:телефон\w*|карт(?:а|ы|у|ой|е)(?!\w)|паспорт\w*|сч[её]т\w*)"
    r"|(?:контактн|мобильн|сотов)\w*\s+(?:номер\w*|телефон\w*)"
    r"|паспорт\w*(?!\s+(?:издели|товар|техническ|качеств|прибор|устройств))"
    r"|адрес\w*|почт(?:а|ы|у|ой|е|овый\s+адрес)(?!\w)|e-?mail|реквизит\w*|(?<!\w)фио(?!\w)"
    r"|снилс\w*|(?<!\w)инн(?!\w)|дат\w*\s+рождени\w*|данн\w+\s+(?:\w+\s+)?карт\w*"
    r"|банковск\w*\s+карт\w*|(?<!\w)cvv|(?<!\w)cvc)"
)
_PD_REQUEST = _rx(
    r"(?<!\w)(?:напиш|пришл|присыл|отправ|сообщ|укаж|продикту|оставь|дай|дайте|скин|назов"
    r"|предостав|нуж(?:ен|на|но|ны)|потребу|понадоб|подскаж|уточн|продублир)\w*[^.!?]{0,40}?"
    + _PD_NOUN
    + r"|(?<!\w)ваш\w*\s+"
    + _PD_NOUN
)

# --- form: markdown, greetings, review references -------------------------------------------
_MARKDOWN = _rx(
    r"\*\*|__|```|`[^`\n]+`|\[[^\]\n]+\]\([^)\n]*\)|^\s{0,3}#{1,6}\s|^\s{0,3}\*\s+\S|~~",
    re.MULTILINE,
)
_GREETING_START = _rx(
    r"^\s*(?:здравствуй\w*|добр\w+\s+(?:день|утро|вечер|время\s+суток)|приветству\w*"
    r"|привет\w*|доброго\s+(?:дня|времени)|уважаем\w*|hello|hi\b)"
)
_MODERATOR_ADDRESS = _rx(
    r"уважаем\w*\s+(?:\w+\s+)?(?:модератор\w*|сотрудник\w*|команд\w*|администрац\w*|служб\w*"
    r"|специалист\w*|коллег\w*|wildberries|вайлдберриз)"
    r"|(?:^|[.!?]\s*)(?:дорог\w*|уважаем\w*)\s+модератор\w*|модератор\w*\s*[,!]\s*(?:прошу|просим)"
    r"|здравствуй\w*|добр\w+\s+(?:день|утро|вечер)"
)
_MONTHS = r"(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр)\w*"
_REVIEW_REF = _rx(
    rf"отзыв\w*\s+(?:покупател\w*\s+|пользовател\w*\s+|клиент\w*\s+)?(?:\S+\s+){{0,2}}?от\s+"
    rf"(?:\d{{1,2}}[./-]\d{{1,2}}|\d{{1,2}}\s+{_MONTHS}|\d{{4}}-\d{{2}}-\d{{2}})"
)
_SENTENCE_SPLIT = _rx(r"(?<=[.!?…])[\"»)]*\s+|\n+")
_SENTENCE_END = _rx(r"[.!?…]+")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s and s.strip()]


def _count_sentences(text: str) -> int:
    return len([s for s in split_sentences(text) if re.search(r"\w", s)])


def _parse_max(max_compensation: str | None) -> tuple[Decimal, bool] | None:
    """`max_compensation` is free text ("500", "500 руб", "30%"): first number, percent or not."""
    if not max_compensation:
        return None
    m = re.search(r"\d[\d ]*(?:[.,]\d+)?", max_compensation)
    if not m:
        return None
    try:
        value = Decimal(m.group(0).replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None
    return value, "%" in max_compensation or "процент" in max_compensation.lower()


def _amounts(sentence: str, percent: bool) -> list[Decimal]:
    rx = _PCT_AMOUNT if percent else _RUB_AMOUNT
    out: list[Decimal] = []
    for m in rx.finditer(sentence):
        try:
            out.append(Decimal(m.group(1).replace(" ", "").replace(",", ".")))
        except InvalidOperation:
            continue
    return out


def check_text(
    text: str,
    *,
    channel: Channel,
    rating: int | None,
    compensation_allowed: bool = False,
    max_compensation: str | None = None,
    seller_has_written: bool = False,
) -> GuardResult:
    """Check one outgoing text; stable problem codes in the order found, no duplicates.

    `rating` is the review's (None for questions and chats with no known review);
    `compensation_allowed` and `max_compensation` come from the product's rules;
    `seller_has_written` (chats) turns a leading greeting into `second_greeting`.
    """
    problems: list[str] = []
    warnings: list[str] = []

    def add(code: str) -> None:
        if code not in problems:
            problems.append(code)

    stripped = text.strip()
    low, high = LENGTH_BOUNDS[channel]
    if not stripped:
        return GuardResult(ok=False, problems=["empty"])
    if len(stripped) < low:
        add("too_short")
    if len(stripped) > high:
        add("too_long")

    norm = normalize(stripped)
    to_buyer = channel != "complaint"

    if _AI_ANY.search(norm) or (to_buyer and _AI_BOT.search(norm)):
        add("mentions_ai")
    if to_buyer and _ASKS_DELETE.search(norm):
        add("asks_to_delete")

    if to_buyer:
        sentences = split_sentences(norm)
        plain = [_MONEY_IDIOMS.sub(" ", s) for s in sentences]
        money_sentences = [s for s in plain if _MONEY.search(s)]
        unthanked = [_THANKS.sub(" ", s) for s in plain]
        for s, bare in zip(plain, unthanked, strict=True):
            if (_MONEY.search(s) or _REWARD.search(s)) and (
                _CHANGE_RATING.search(bare) or _TRADE_FOR.search(bare)
            ):
                add("money_for_rating")
                break
        # An offer in one sentence and a rating request in another tie them just the same
        # ("Поставьте 5 звёзд. Пришлём подарок.").
        if money_sentences and any(_CHANGE_RATING.search(bare) for bare in unthanked):
            add("money_for_rating")
        if money_sentences and channel != "question_reply":
            if rating is not None and rating >= 4:
                add("money_at_4_stars")
            elif not compensation_allowed:
                add("compensation_not_allowed")
            else:
                limit = _parse_max(max_compensation)
                if limit is not None:
                    value, percent = limit
                    if any(a > value for s in money_sentences for a in _amounts(s, percent)):
                        add("compensation_over_max")

    if _LINK.search(norm):
        add("link")
    if _PHONE.search(norm):
        add("phone")
    if _EXTERNAL_CONTACT.search(norm):
        add("external_contact")
    if _PD_REQUEST.search(norm):
        add("personal_data")
    if _MARKDOWN.search(stripped):
        add("markdown")

    if channel == "complaint":
        if _GREETING_START.search(norm) or _MODERATOR_ADDRESS.search(norm):
            add("greeting_to_moderator")
        if _REVIEW_REF.search(norm):
            add("review_reference")
    if channel == "chat":
        if seller_has_written and _GREETING_START.search(norm):
            add("second_greeting")
        n = _count_sentences(stripped)
        if n > CHAT_SENTENCES[1]:
            warnings.append("too_many_sentences")
        elif n < CHAT_SENTENCES[0]:
            warnings.append("too_few_sentences")

    return GuardResult(ok=not problems, problems=problems, warnings=warnings)


def describe_problems(problems: list[str]) -> list[str]:
    return [PROBLEM_DESCRIPTIONS.get(p, p) for p in problems]


def has_markdown(text: str) -> bool:
    return bool(_MARKDOWN.search(text))


def sentence_end_positions(text: str) -> list[int]:
    """Index just past each sentence end (. ! ? …), for cutting text back to a sentence."""
    return [m.end() for m in _SENTENCE_END.finditer(text)]
