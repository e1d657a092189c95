"""The output guard: rules (patterns and lengths) every outgoing text passes, never an LLM call.

It blocks what WB forbids and what `domain-rules.md` ("What the AI may say") rules out:
mentions of AI, direct requests to delete a review, money or gifts traded for the rating or for
deleting, any money at 4-5 stars, compensation the product's rules do not offer (or above
their maximum), links, phone numbers, off-platform contacts, requests for personal data,
markdown. It allows the chat strategies: asking whether the buyer would reconsider, update or
add to the review, and offering to fix the buyer's problem.

The text checked is the one that is sent: `services.untrusted.clean_outgoing` (no control or
invisible characters) of the input, returned as `GuardResult.text`; callers store and send
that. Patterns work on a normalised copy of it (`services.untrusted.fold`: NFKC, no invisible or format
characters, lower case, "ё" -> "е", Latin and Greek look-alikes folded inside Cyrillic words)
and match Russian word stems and the English words an obeying model would use. A word that
mixes scripts ("Удaлите" with a Latin "a") is refused on its own (`mixed_script`), and so is a
text that is not in Russian (`not_russian`) unless the store's instructions ask for another
language (`other_language`). The guard errs on the side of blocking: a blocked text is shown
to a person, never lost.

Money is any mention of money, refunds, compensation or an offered gift: an offer in words
("вернём деньги", "частичный возврат", "полную стоимость", "refund"), an amount ("300 р.",
"50% стоимости", "кэшбэк 700", "переведём тысячу"), any currency sign or currency ("$20",
"€", "долларов"). It needs the product's compensation rules (1-3 stars). WB's own return of
the goods ("оформите возврат, деньги вернутся на карту") and idioms ("стоит своих денег")
are not money. An amount is checked against the product's maximum only in the maximum's
unit: roubles against a percent maximum (or the reverse), a number with no unit or in words,
a foreign currency, or the full price above a percent maximum all count as over it. Money is
tied to the rating when the same text asks to change or delete the review (also as "удалите
его"), or makes the money depend on it ("если отзыв исчезнет", "когда оценка станет выше").
Question replies may state prices: they get only the money-for-rating check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

from services.ai.textnorm import language_profile
from services.untrusted import clean_outgoing, fold

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
    "mixed_script": "слово из букв разных алфавитов или с цифрами вместо букв (например, латинская"
    " «a» в русском слове)",
    "not_russian": "текст не на русском языке",
    "greeting_to_moderator": "приветствие или обращение к модераторам",
    "review_reference": "ссылка на отзыв в виде «отзыв <имя> от <даты>»",
    "second_greeting": "повторное приветствие в начатом диалоге",
    "too_many_sentences": "больше 5 предложений в сообщении чата",
    "too_few_sentences": "меньше 2 предложений в сообщении чата",
}


@dataclass(frozen=True, slots=True)
class GuardResult:
    """`ok` when no problem was found; `warnings` are soft and never block a text. `text` is
    the text the verdict is about: `clean_outgoing` of what was checked, stripped. Store and
    send this one, never the raw input, so what passed the guard is what goes out."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: str = ""

    def describe(self) -> list[str]:
        """Russian descriptions of the problems, for the person and for the model's retry."""
        return describe_problems(self.problems)


def normalize(text: str) -> str:
    """The folded copy every pattern below matches (`untrusted.fold`)."""
    return fold(text).text


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
    r"|artificial\s+intelligence|language\s+model|chat\s*bot\w*|(?<!\w)bots?(?!\w)"
    r"|(?:написан|составлен|подготовлен|создан)\w*\s+(?:роботом|программ\w*|машин\w*)"
)
# The same said the other way round: "ответ составлен автоматически", "сформировано
# автоматически", "этот ответ написал робот", "вам отвечает робот". Verbs that only ever apply
# to a text stand alone; "создан"/"подготовлен"/"отправлен" need a text as subject, since
# "возврат создан автоматически" is about WB. "Робот" alone is a product ("робот-пылесос").
_AI_AUTOMATIC = _rx(
    r"(?:составлен|сформирован|сгенерирован|написан)\w*\s+автоматическ\w*"
    r"|(?:ответ|сообщени|текст|письм)\w*\s+(?:\w+\s+)?(?:создан|подготовлен|отправлен)\w*"
    r"\s+автоматическ\w*"
    r"|автоматическ\w*\s+(?:сформирова|написа|подготовл)\w*"
    r"|(?:написал|составил|подготовил|сформировал|сгенерировал|создал)\w*\s+(?:\w+\s+)?"
    r"(?:робот|программ|алгоритм)\w*"
    r"|(?:отвечает|пишет)\s+(?:вам\s+)?(?:робот|алгоритм)\w*"
)
# "Бот" (not "ботинки", "работа"): blocked for buyers; a complaint may say a review came from bots.
_AI_BOT = _rx(r"(?<!\w)(?:чат-?|телеграм-?)?бот(?:а|у|ом|е|ы|ов|ам|ами|ах)?(?!\w)")

# --- requests to delete ----------------------------------------------------------------------
# Forms of "удалить" only: "удалось", "удалённый" are other words.
_DELETE_FORMS = (
    r"удал(?:и(?:те|ть|л[аио]?|т|шь|м)?|я(?:ть|й(?:те)?|ем|ете|ет|ют|ли|л[аио]?)"
    r"|ени[еяюий]|ением)(?!\w)"
)
# "Отозвать отзыв" is a request to delete too; "отзовитесь" (answer us) is not.
_WITHDRAW_FORMS = r"отзов(?:и|ите|ет|ете|ут)(?!\w)|отозва(?:ть|ли|ла|л)(?!\w)"
_DEL_VERB = (
    rf"(?:{_DELETE_FORMS}|{_WITHDRAW_FORMS}"
    r"|убер(?:и|ите|ет|ете|ут)|убра(?:ть|ли|ла|л)"
    r"|сним(?:и|ите|ет|ете|ут)|снят(?:ь|ие|ия)|снял\w*"
    r"|сотр(?:и|ите|ет|ете)|стер(?:еть|ли|ла)"
    r"|скро(?:й|йте|ете|ет)|скрыть|уничтож\w*|аннулир\w*|ликвидир\w*|спрят\w*|спряч\w*"
    # English: what a model told to "offer money for deleting" writes
    r"|delet\w*|remov\w*|take\s+down|taking\s+down|withdraw\w*|eras\w*|hid(?:e|ing))"
)
# The review and its synonyms: "отклик", "оценка", "комментарий", "звёзды", "рейтинг",
# "публикация", and the English words.
_REVIEW_NOUN = (
    r"(?:отзыв\w*|отклик\w*|оценк\w*|комментари\w*|звезд\w*|рейтинг\w*|публикаци\w*"
    r"|review\w*|feedback\w*|rating\w*|comment\w*|stars?(?!\w))"
)
# Words that end a noun phrase: a clause that goes on after them is about something else
# ("удалим лишнюю нитку и проверим швы, спасибо за отзыв").
_CLAUSE_BREAK = r"(?:и|а|но|или|что|чтобы|если|когда|как|спасибо|благодар\w*|за)(?!\w)"
_ASKS_DELETE = _rx(
    # the verb, then the review within a few words, commas allowed ("уберите, свой отзыв")
    rf"(?<!\w){_DEL_VERB}(?!\w)[^.!?;\n]{{0,40}}?(?<!\w){_REVIEW_NOUN}"
    # the verb, then a long noun phrase of up to 8 words that ends in the review, no
    # punctuation and no new clause ("удалите этот очень неприятный для нас ... отзыв")
    rf"|(?<!\w){_DEL_VERB}(?!\w)(?:\s+(?!{_CLAUSE_BREAK})[\w-]+){{0,8}}?\s+{_REVIEW_NOUN}"
    # the review first ("отзыв удалите, пожалуйста")
    rf"|(?<!\w){_REVIEW_NOUN}[^.!?,;\n]{{0,30}}?(?<!\w){_DEL_VERB}(?!\w)"
    # "отмените отзыв": only right before the review ("отмените заказ" is another matter)
    rf"|(?<!\w)отмен(?:и|ите|ить)\s+(?:(?:сво|ваш|эт)\w*\s+)?{_REVIEW_NOUN}"
)
# "Пожалуйста" and the like are taken out before `_ASKS_DELETE` runs, so that politeness
# between the verb and the review does not hide the request.
_POLITE_FILLER = _rx(r",?\s*(?:пожалуйста|будьте\s+добры)\s*,?")
# A request to delete "it" ("удалите его", "вы можете удалить его?"): imperative or
# infinitive plus a pronoun that closes the clause. On its own this is ambiguous ("пятно
# удалите его салфеткой" goes on, so it does not count); it counts as a delete request when
# the text names the review somewhere, and as the rating half of a trade when the text
# offers money.
_DELETE_IT = _rx(
    r"(?<!\w)(?:удали(?:те|ть)?|убер(?:и|ите)|убрать|сотр(?:и|ите)|стереть|скр(?:ойте|ыть)"
    rf"|{_WITHDRAW_FORMS})\s+(?:его|ее|их)(?=\s*(?:[.!?,;)]|$|пожалуйста))",
    re.MULTILINE,
)
_MENTIONS_REVIEW = _rx(rf"(?<!\w){_REVIEW_NOUN}")

# --- amounts ---------------------------------------------------------------------------------
# A number as sellers write money: "1 000", "1.000", "1,000" (groups of three: thousands),
# "99,90", "1000".
_NUM = r"\d{1,3}(?:[ .,]\d{3})+(?!\d)|\d+(?:[.,]\d{1,2}(?!\d))?"
_THOUSANDS = _rx(r"\d{1,3}(?:[ .,]\d{3})+")
# Rouble units after a number: "300 рублей", "300 руб.", "300 р.", "300р", "300 ₽", "300 rub".
# "р" must stand alone, so "в 2 раза" is no money.
_RUB_UNIT = r"(?:руб\w*|р(?!\w)|₽|rub\w*|rur(?!\w))"
# An amount in roubles; group 2 is a thousands word ("2 тыс. руб", "2 тысячи рублей").
_RUB_AMOUNT = _rx(rf"(?<!\d)({_NUM})\s*(тыс(?:\.|яч\w*|(?!\w)))?\s*{_RUB_UNIT}")
# "Тысячу рублей" with no digits.
_RUB_THOUSAND_WORD = _rx(rf"(?<![\d\w])(?:одн\w*\s+)?тысяч\w*\s+{_RUB_UNIT}")
_PCT_AMOUNT = _rx(r"(?<!\d)(\d{1,3}(?:[.,]\d+)?)\s*(?:%|процент)")
# Shares of the price in words, read as percents: the whole price (100) or half of it (50).
# "Полный возврат товара" is WB's return of the goods, not the seller's money.
_FULL_PRICE = _rx(
    r"(?<!\w)(?:полн\w*\s+(?:стоимост|сумм|цен)\w*|полн\w*\s+возврат\w*(?!\s+товар)"
    r"|(?:всю|всей)\s+(?:стоимост|сумм)\w*)"
)
_HALF_PRICE = _rx(r"(?<!\w)половин\w*\s+(?:\w+\s+)?(?:стоимост|цен|сумм|оплат)\w*")
# A bare number right after a money word ("кэшбэк 700", "вернём вам 200", "компенсация
# составит 600."): an amount with no unit. It must end the clause or be followed by a little
# word, so "вернуть 2 пары" or "за 3 дня" (a number with its own unit) is not money.
_MONEY_ANCHOR = (
    r"(?:к[еэ]шб[еэ]к|компенс|возмещ|возмест|возврат|верн|перевед|выплат|начисл|дад|дади"
    r"|отправ|пришл|вышл|заплат|оплат|составит|составля)\w*"
)
_AFTER_BARE = (
    r"(?=\s*(?:[.!?,;:)]|$)|\s+(?:на|за|в|и|а|после|если|когда|как|вам|тебе|сразу|обратно"
    r"|до|по)(?!\w))"
)
_BARE_AMOUNT = _rx(
    rf"(?<!\w){_MONEY_ANCHOR}(?:\s+[\w-]+){{0,2}}?[\s:]+(?<!\d)({_NUM}){_AFTER_BARE}"
)
# An amount in words: "переведём тысячу", "вернём вам пятьсот", "скинем косарь на карту".
# Small numbers ("вернуть две пары") are left out: they count items, not money.
_NUM_WORD = (
    r"(?:тысяч\w*|тыщ\w*|полтор\w*\s+тысяч\w*|сотн\w*|сотк\w*|сто|двест\w*|трист\w*"
    r"|четырест\w*|(?:пят|шест|сем|восем|девят)\w{0,2}сот\w*|\w*десят\w*|\w*надцат\w*"
    r"|двадцат\w*|тридцат\w*|сорок|девяност\w*|полтинник\w*|полтос\w*|косар\w*|пятихат\w*"
    r"|hundred\w*|thousand\w*|twenty|thirty|fifty)(?!\w)"
    # "через десять дней", "двадцать штук": a number of days or things is no money
    r"(?!\s+(?:(?!за\s)\w+\s+)?(?:дн|день|недел|минут|час|секунд|месяц|год|лет|раз|шт|пар|см|мм"
    r"|метр|кг|грамм|литр|мл|размер|заказ|товар|единиц|days?|hours?|items?)\w*)"
)
_WORD_ANCHOR = (
    r"(?:верн|перевед|переч|выплат|заплат|начисл|дад|дади|отправ|пришл|вышл|компенс|возмест"
    r"|скин|закин|кин|держ|получ|оплат|к[еэ]шб[еэ]к)\w*"
)
_WORD_AMOUNT = _rx(
    rf"(?<!\w){_WORD_ANCHOR}(?:\s+[\w-]+){{0,2}}?\s+{_NUM_WORD}"
    rf"|(?<!\w){_NUM_WORD}\s+(?:\w+\s+)?(?:на\s+(?:карт|сч[её]т|телефон|кошел)"
    r"|за\s+(?:отзыв|отклик|оценк|удалени|изменени))"
)
# Currencies other than the rouble, by sign or name: any of them is money of unknown size.
_FOREIGN_MONEY = _rx(
    r"[$€£¥₸₴₺₹¢₩₿₼₾]|доллар\w*|бакс\w*|тенге|гривн\w*|юан\w*"
    # "евро" only with a number: "евроразмер", "евро-вилка" are no money
    r"|\d\s*евро(?!\w)|(?<![\w-])евро\s*\d"
    r"|(?<![a-z])(?:usd|eur|usdt|dollars?|euros?|bucks)(?![a-z])"
)

# --- money ---------------------------------------------------------------------------------------
# Money offered, or a reward in kind. Mere mentions of a price or of a gift purchase are not.
_OFFER_VERB = (
    r"(?:дад|дади|предостав|предлож|сдела|дари|дарим|подар|начисл|отправ|пришл|вышл|влож"
    r"|полож|добав|прилож)\w*"
)
_MONEY = _rx(
    r"деньг\w*|деньж\w*|денежн\w*|(?<!\w)руб(?:л\w*|\.|(?!\w))|₽|(?<!\w)rub(?!\w)"
    rf"|{_FOREIGN_MONEY.pattern}|{_WORD_AMOUNT.pattern}"
    # English: any money word an obeying model writes
    r"|(?<![a-z])(?:refund\w*|reimburs\w*|compensat\w*|money\w*|cash(?:\s*back)?(?![a-z])"
    r"|(?<![a-z])(?:pay|pays|paid|payment"
    r"|paying|gifts?|voucher\w*|coupon\w*|discount\w*|bonus\w*|promo\w*|reward\w*)(?![a-z]))"
    r"|рефанд\w*|манибек\w*|манибэк\w*"
    # "200 р.", "300р": the short rouble sign needs its number
    r"|\d\s*(?:р|rur)(?!\w)"
    r"|компенсац\w*|компенсир\w*|возмещ\w*|возмест\w*"
    r"|к[еэ]шб[еэ]к\w*|cash\s*back|(?<!\w)кеш(?!\w)"
    r"|возврат\w*\s+(?:\w+\s+)?(?:средств|денег|деньг\w*|стоимост\w*|оплат\w*|част\w*)"
    r"|верн\w*\s+(?:\w+\s+){0,2}?(?:деньг\w*|средств\w*|стоимост\w*|оплат\w*|част\w*)"
    # a partial refund is always the seller's money
    r"|частичн\w*\s+возврат\w*"
    # a percent of the price ("50% стоимости", "30 процентов от цены")
    r"|\d\s*(?:%|процент\w*)\s+(?:от\s+)?(?:\w+\s+)?(?:стоимост|цен|сумм|оплат)"
    r"|(?<!\w)(?:подарим|дарим|подарю)(?!\w)|подарочн\w*"
    rf"|{_OFFER_VERB}\s+(?:\w+\s+){{0,2}}?(?:подар\w*|скидк\w*|сертификат\w*|балл\w*)"
    r"|подар(?:ок|ки|ка)\s+(?:от\s+(?:нас|магазин\w*|продавц\w*)|за\s|(?:для\s+)?(?:вас|вам|тебе))"
    r"|(?:получ|жд[её]т|ждут)\w*\s+(?:\w+\s+)?подар\w*|в\s+подарок\s+(?:вам|для\s+вас)"
    r"|скидк\w*\s+(?:в\s+)?(?:\d|на\s+(?:следующ|повторн|любой|любую|все|\d))"
    r"|персональн\w*\s+скидк\w*|бонус\w*|промокод\w*|промо-код\w*|купон\w*"
    r"|сертификат\w*\s+на\s+(?:покупк|сумм|\d)|вознагражд\w*|выплат\w*"
    r"|заплат(?:им|ите|ить)(?!\w)|оплатим|возместим"
    r"|перевед\w*\s+(?:вам\s+)?(?:\d|деньг|средств|сумм)|перевод\w*\s+на\s+карт\w*"
    # the whole or half of the price ("полную стоимость", "половину цены"), a bare amount
    rf"|{_FULL_PRICE.pattern}|{_HALF_PRICE.pattern}|{_BARE_AMOUNT.pattern}"
)
# Phrases about price or value, or WB's own refund, that mention money without offering any.
_MONEY_IDIOMS = _rx(
    r"(?:сво\w*|эти\w*|так\w*|небольш\w*|разумн\w*|доступн\w*|адекватн\w*|скромн\w*"
    r"|потрачен\w*|отдан\w*)\s+(?:\w+\s+)?деньг\w*|деньг\w*\s+на\s+ветер"
    r"|деньг\w*\s+(?:\w+\s+)?(?:вернутся|возвращаются|поступ\w+|будут\s+возвращен\w*)"
)
# Rewards in kind: they count when tied to the rating, not as mere mentions.
_REWARD = _rx(r"подар\w*|бесплатн\w*|сюрприз\w*")
_CHANGE_VERB = (
    rf"(?:{_DEL_VERB}|измен\w*|исправ\w*|повыс\w*|повыш\w*|обнов\w*|пересмотр\w*"
    r"|постав(?:ь|ьте|ите|ил\w*|ит|ят|ить)|поменя\w*|отредактир\w*|редактир\w*"
    r"|скорректир\w*|подня\w*|подним\w*|дополн(?!ительн)\w*|перепиш\w*|переписа\w*"
    r"|поправ\w*|change\w*|updat\w*|edit\w*|rais\w*|improv\w*|revis\w*|modif\w*"
    r"|increas\w*|bump\w*|give|leave|post)"
)
_RATING_NOUN = (
    r"(?:оценк\w*|отзыв\w*|отклик\w*|звезд\w*|пят[еи]рк\w*|рейтинг\w*|комментари\w*"
    r"|review\w*|feedback\w*|rating\w*|stars?(?!\w)|score\w*)"
)
_CHANGE_RATING = _rx(
    rf"(?<!\w){_CHANGE_VERB}[^.!?]{{0,40}}?{_RATING_NOUN}"
    rf"|(?:оценк\w*|отзыв\w*|отклик\w*|рейтинг\w*|review\w*|rating\w*|feedback\w*)"
    rf"[^.!?]{{0,30}}?(?<!\w){_CHANGE_VERB}"
    r"|(?<!\d)5\s*(?:звезд\w*|\*|⭐|stars?)|пят[еи]рк\w*|пять\s+звезд\w*|five[\s-]+stars?"
    r"|(?<!\w)(?:остав|напиш|напис)\w*\s+(?:\w+\s+)?(?:отзыв\w*|отклик\w*|оценк\w*)"
    r"|(?<!\w)(?:на|до)\s+(?:5|пять|пяти)(?:\s*(?:звезд\w*|\*|⭐))?(?!\s*[\w%₽])"
    # "оцените нас выше", "оцените товар на отлично"
    r"|(?<!\w)оцени\w*\s+(?:\w+\s+)?(?:выше|лучше|на\s+отлично|положительн\w*|максимальн\w*)"
)
_TRADE_FOR = _rx(
    r"(?<![a-z])(?:for|in\s+exchange\s+for|in\s+return\s+for|if\s+you)\s+(?:\w+\s+){0,3}?"
    r"(?:review|rating|feedback|stars?|5\s*stars?|delet|remov|chang|updat|edit)"
    r"|(?<!\w)за\s+(?:\w+\s+){0,2}?(?:оценк\w*|отзыв\w*|отклик\w*|звезд\w*|пят[еи]рк\w*"
    r"|рейтинг\w*|комментари\w*"
    r"|5\s*(?:звезд\w*|\*|⭐)|удалени\w*|изменени\w*|исправлени\w*|обновлени\w*|повышени\w*)"
    rf"|(?:в\s+обмен\s+на|взамен|при\s+условии)[^.!?]{{0,40}}?(?:{_RATING_NOUN}|удал|измен)"
    # money next to "a positive review" in one sentence ("кэшбэк, как только увидим
    # положительный отзыв"); thanks for one are taken out first (`_THANKS`)
    r"|(?<!\w)(?:положительн|хорош|высок)\w*\s+(?:\w+\s+)?"
    r"(?:отзыв(?:а|у|ом|е|ы|ов|ами)?|оценк\w*)(?!\w)"
)
# Money on condition that the review changes or goes: a condition word, the review (as the
# subject: "отзыв", "оценка", not "в отзыве") and what happens to it, in passive or result
# form ("если отзыв исчезнет", "после того как отзыв будет удалён", "если оценка станет
# выше", "как только отзыва не станет"). Active requests ("если вы удалите отзыв") are
# `_CHANGE_RATING`'s; this catches the forms that hide who acts.
_CONDITION = (
    r"(?<!\w)(?:если|когда|как\s+только|после\s+того,?\s+как|при\s+условии|в\s+случае"
    r"|if|once|when|after|as\s+soon\s+as)(?!\w)"
)
_REVIEW_SUBJECT = (
    r"(?:отзыв(?:а|ы|ов)?|отклик(?:а|и|ов)?|оценк[аи]|рейтинг(?:а)?|звезд\w*|review|rating"
    r"|feedback)(?!\w)"
)
_CHANGED = (
    r"(?:удален\w*|удалят|убран\w*|исчез\w*|пропад\w*|снят\w*|скрыт\w*|стерт\w*"
    r"|измен\w*|обновл\w*|исправл\w*|повыс\w*|поменя\w*|отредактирован\w*"
    r"|(?:станет|станут|будет|будут|стал\w*)\s+(?:\w+\s+)?"
    r"(?:выше|лучше|больше|положительн\w*|хорош\w*|отличн\w*|пят\w*|\d)"
    r"|не\s+(?:станет|будет)|removed|deleted|gone|changed|updated|edited|raised)"
)
_CONDITIONAL_CHANGE = _rx(
    rf"{_CONDITION}[^.!?,;]{{0,30}}?(?<!\w){_REVIEW_SUBJECT}[^.!?,;]{{0,25}}?(?<!\w){_CHANGED}"
    rf"|{_CONDITION}[^.!?,;]{{0,30}}?(?<!\w){_CHANGED}[^.!?,;]{{0,25}}?(?<!\w){_REVIEW_SUBJECT}"
    # "сразу после удаления" with nothing after it can only mean the review
    r"|(?<!\w)после\s+(?:\w+\s+)?удалени\w*(?=\s*(?:[.!?,;]|$))"
)
_THANKS = _rx(
    r"(?:спасибо|благодар\w*)\s+(?:\w+\s+){0,2}?за\s+(?:\w+\s+){0,2}?"
    r"(?:отзыв\w*|отклик\w*|оценк\w*|обратн\w+\s+связ\w*|\d\s*звезд\w*|звезд\w*"
    r"|пят[еи]рк\w*)"
    r"|thank(?:s|\s+you)\s+(?:\w+\s+){0,2}?for\s+(?:\w+\s+){0,2}?(?:review|feedback|rating)\w*"
    r"|(?:спасибо|благодар\w*)[^.!?]{0,20}?что\s+(?:\w+\s+){0,3}?"
    r"(?:остав|написа|подел|нашли)\w*\s+(?:\w+\s+){0,3}?"
    r"(?:отзыв\w*|оценк\w*|мнени\w*|впечатлени\w*)"
)

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
# What a number may be of without being personal data: the order, the product, the parcel,
# the return ("номер заказа", "номер вашего заказа", "номер на бирке").
_NOT_PERSONAL_NUMBER = (
    r"(?:заказ|артикул|отправлени|поставк|сборочн|стикер|заявк|обращени|претензи|возврат"
    r"|чек|парти|накладн|трек|отслеж|размер|модел|серии|серийн|штрих|баркод|шк(?!\w)|товар"
    r"|позици|бирк|этикет|упаковк|коробк|пункт|ячейк|документ|\d)"
)
_PD_NOUN = (
    r"(?:номер\w*\s+(?:\w+\s+)?(?:телефон\w*|карт(?:а|ы|у|ой|е)(?!\w)|паспорт\w*|сч[её]т\w*)"
    r"|(?:контактн|мобильн|сотов)\w*\s+(?:номер\w*|телефон\w*)"
    r"|паспорт\w*(?!\s+(?:издели|товар|техническ|качеств|прибор|устройств))"
    r"|адрес\w*|почт(?:а|ы|у|ой|е|овый\s+адрес)(?!\w)|e-?mail|реквизит\w*|(?<!\w)фио(?!\w)"
    r"|снилс\w*|(?<!\w)инн(?!\w)|дат\w*\s+рождени\w*|данн\w+\s+(?:\w+\s+)?карт\w*"
    r"|банковск\w*\s+карт\w*|(?<!\w)cvv|(?<!\w)cvc"
    # a name: "имя", "фамилия", "отчество" ("от имени магазина" is not a request for one)
    r"|фамили\w*|отчеств\w*|(?<!от )(?<!\w)им(?:я|ени)(?!\w)"
    # a number that is not the order's or the product's: "подскажите ваш номер"
    rf"|номер(?:а|у|ом)?(?!\w)(?!\s+(?:\w+\s+)?{_NOT_PERSONAL_NUMBER}))"
)
_PD_REQUEST = _rx(
    r"(?<!\w)(?:напиш|пришл|присыл|отправ|сообщ|укаж|продикту|оставь|дай|дайте|скин|назов"
    r"|предостав|нуж(?:ен|на|но|ны)|потребу|понадоб|подскаж|уточн|продублир)\w*[^.!?]{0,40}?"
    + _PD_NOUN
    + r"|(?<!\w)(?:ваш|сво)\w*\s+"
    + _PD_NOUN
    + r"|как\s+вас\s+зовут"
)

# --- form: markdown, greetings, review references -------------------------------------------
_MARKDOWN = _rx(
    r"\*\*|__|```|`[^`\n]+`|\[[^\]\n]+\]\([^)\n]*\)|^\s{0,3}#{1,6}\s|^\s{0,3}\*\s+\S|~~"
    # "*курсив*", "_курсив_": the opening mark after no letter, the closing one before none,
    # so "5*" or "50*70 см" is not emphasis
    r"|(?<![\w*])\*[^\s*](?:[^*\n]*?[^\s*])?\*(?![\w*])"
    r"|(?<![\w_])_[^\s_](?:[^_\n]*?[^\s_])?_(?![\w_])"
    # "- пункт", "+ пункт" bullets at a line start; a dash inside a sentence is punctuation
    r"|^[ \t]{0,3}[-+][ \t]+\S",
    re.MULTILINE,
)
# "1. пункт", "2) пункт" at a line start: a numbered list. Checked only in a text of several
# lines: a one-line reply that begins "1. " has no list to render.
_NUMBERED_ITEM = _rx(r"^[ \t]{0,3}\d{1,2}[.)][ \t]+\S", re.MULTILINE)
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
# "тыс.", "руб.", "р.", "коп." followed by more of the sentence (a lower-case word or a number).
_ABBREV_DOT = _rx(r"(?<!\w)(тыс|руб|р|коп)\.(?=\s+[a-zа-яё0-9])")
_SENTENCE_SPLIT = _rx(r"(?<=[.!?…])[\"»)]*\s+|\n+")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s and s.strip()]


def _count_sentences(text: str) -> int:
    return len([s for s in split_sentences(text) if re.search(r"\w", s)])


Unit = Literal["rub", "pct"]


def _to_decimal(raw: str) -> Decimal | None:
    """A number as written: "1 000", "1.000", "1,000" are thousands; "99,90", "1,5" decimals."""
    raw = raw.strip()
    if _THOUSANDS.fullmatch(raw):
        raw = re.sub(r"[ .,]", "", raw)
    try:
        return Decimal(raw.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None


def _parse_max(max_compensation: str | None) -> tuple[Decimal, Unit] | None:
    """`max_compensation` is free text in the schema ("500", "500 руб", "2 тыс", "30%"): its
    first number and unit. A number with no unit counts as roubles; the bot's own product
    card offers only percents."""
    if not max_compensation:
        return None
    low = normalize(max_compensation)
    m = re.search(_NUM, low)
    if not m:
        return None
    value = _to_decimal(m.group(0))
    if value is None:
        return None
    if "%" in low or "процент" in low:
        return value, "pct"
    return (value * 1000 if "тыс" in low else value), "rub"


def _amounts(sentence: str) -> list[tuple[Decimal, Unit | None]]:
    """Every amount a sentence states, with its unit; `None` for a bare number next to a
    money word ("кэшбэк 700"), whose unit nobody knows."""
    out: list[tuple[Decimal, Unit | None]] = []
    for m in _RUB_AMOUNT.finditer(sentence):
        value = _to_decimal(m.group(1))
        if value is not None:
            out.append((value * 1000 if m.group(2) else value, "rub"))
    out.extend((Decimal(1000), "rub") for _ in _RUB_THOUSAND_WORD.finditer(sentence))
    for m in _PCT_AMOUNT.finditer(sentence):
        value = _to_decimal(m.group(1))
        if value is not None:
            out.append((value, "pct"))
    out.extend((Decimal(100), "pct") for _ in _FULL_PRICE.finditer(sentence))
    out.extend((Decimal(50), "pct") for _ in _HALF_PRICE.finditer(sentence))
    for m in _BARE_AMOUNT.finditer(sentence):
        value = _to_decimal(m.group(1))
        if value is not None:
            out.append((value, None))
    # An amount in words or in a foreign currency: its size in the maximum's unit is unknown.
    out.extend((Decimal(0), None) for _ in _WORD_AMOUNT.finditer(sentence))
    out.extend((Decimal(0), None) for _ in _FOREIGN_MONEY.finditer(sentence))
    return out


def _over_max(money_sentences: list[str], max_compensation: str | None) -> bool:
    """An amount above the maximum, in another unit than the maximum's (roubles against a
    percent, or the other way round), or with no unit at all. Without a maximum, nothing is
    over it; an offer with no amount ("вернём деньги за брак") is never over it."""
    limit = _parse_max(max_compensation)
    if limit is None:
        return False
    value, unit = limit
    return any(
        a_unit != unit or amount > value for s in money_sentences for amount, a_unit in _amounts(s)
    )


def _has_markdown(text: str) -> bool:
    return bool(_MARKDOWN.search(text)) or ("\n" in text and bool(_NUMBERED_ITEM.search(text)))


def _asks_for_rating(bare: str, *, same_sentence: bool = True) -> bool:
    """A sentence (thanks taken out) that asks for a better rating or the review's deletion,
    or makes something depend on it. `_TRADE_FOR` ("за отзыв", "положительный отзыв") only
    ties money within its own sentence."""
    return bool(
        _CHANGE_RATING.search(bare)
        or _CONDITIONAL_CHANGE.search(bare)
        or _DELETE_IT.search(bare)
        or (same_sentence and _TRADE_FOR.search(bare))
    )


def check_text(
    text: str,
    *,
    channel: Channel,
    rating: int | None,
    compensation_allowed: bool = False,
    max_compensation: str | None = None,
    seller_has_written: bool = False,
    other_language: bool = False,
) -> GuardResult:
    """Check one outgoing text; stable problem codes in the order found, no duplicates.
    The text checked is `clean_outgoing(text)`, returned as `GuardResult.text` for sending.

    `rating` is the review's (None for questions and chats with no known review);
    `compensation_allowed` and `max_compensation` come from the product's rules;
    `seller_has_written` (chats) turns a leading greeting into `second_greeting`;
    `other_language` (the store's instructions ask for another language,
    `textnorm.asks_other_language`) lifts the "Russian only" rule.
    """
    problems: list[str] = []
    warnings: list[str] = []

    def add(code: str) -> None:
        if code not in problems:
            problems.append(code)

    stripped = clean_outgoing(text).strip()
    low, high = LENGTH_BOUNDS[channel]
    if not stripped:
        return GuardResult(ok=False, problems=["empty"])
    if len(stripped) < low:
        add("too_short")
    if len(stripped) > high:
        add("too_long")

    folded = fold(stripped)
    norm = folded.text
    to_buyer = channel != "complaint"
    if to_buyer and folded.mixed_words:
        add("mixed_script")
    if not other_language and not language_profile(stripped).is_russian:
        add("not_russian")

    if _AI_ANY.search(norm) or _AI_AUTOMATIC.search(norm) or (to_buyer and _AI_BOT.search(norm)):
        add("mentions_ai")
    if to_buyer and (
        _ASKS_DELETE.search(_POLITE_FILLER.sub(" ", norm))
        or (_DELETE_IT.search(norm) and _MENTIONS_REVIEW.search(norm))
    ):
        add("asks_to_delete")

    if to_buyer:
        # "3 тыс. руб. за брак" is one sentence: the dots of these abbreviations end none
        # when the text goes on in lower case.
        sentences = split_sentences(normalize(_ABBREV_DOT.sub(r"\1", stripped)))
        plain = [_MONEY_IDIOMS.sub(" ", s) for s in sentences]
        money_sentences = [s for s in plain if _MONEY.search(s)]
        unthanked = [_THANKS.sub(" ", s) for s in plain]
        for s, bare in zip(plain, unthanked, strict=True):
            if (_MONEY.search(s) or _REWARD.search(s)) and _asks_for_rating(bare):
                add("money_for_rating")
                break
        # An offer in one sentence and a rating request in another tie them just the same
        # ("Поставьте 5 звёзд. Пришлём подарок.", "Компенсируем 300 рублей. А вы удалите его.",
        # "Измените оценку. Мы подготовили для вас подарок.").
        offers = money_sentences or [s for s in plain if _REWARD.search(s)]  # a gift too
        if offers and any(_asks_for_rating(bare, same_sentence=False) for bare in unthanked):
            add("money_for_rating")
        if money_sentences and channel != "question_reply":
            if rating is not None and rating >= 4:
                add("money_at_4_stars")
            elif not compensation_allowed:
                add("compensation_not_allowed")
            elif _over_max(money_sentences, max_compensation):
                add("compensation_over_max")

    if _LINK.search(norm):
        add("link")
    if _PHONE.search(norm):
        add("phone")
    if _EXTERNAL_CONTACT.search(norm):
        add("external_contact")
    if _PD_REQUEST.search(norm):
        add("personal_data")
    if _has_markdown(stripped):
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

    return GuardResult(ok=not problems, problems=problems, warnings=warnings, text=stripped)


def describe_problems(problems: list[str]) -> list[str]:
    return [PROBLEM_DESCRIPTIONS.get(p, p) for p in problems]
