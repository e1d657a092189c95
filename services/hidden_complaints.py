"""Does a 4-5 star review hide a complaint? A rule table, never an LLM call.

An automatic reply to "5 звёзд, но пришёл брак" thanks the buyer for a defect in public; WB's
own assistant does exactly that. A review the rules flag goes to a person, never to an
automatic reply (domain-rules.md "Automatic replies to positive reviews"). The rules err on the
side of flagging: a false alarm costs a person one tap, a miss costs the store's face.

The rules match the folded copy (`services.untrusted.fold`: no invisible characters, lower
case, "ё" -> "е", look-alike letters folded), so "бpак" with a Latin "p" is still "брак".
Phrases that deny a problem ("без брака", "брака нет", "всё пришло", "размер подошёл") are
removed before the problem patterns run. Each rule has a category the card shows
(`ComplaintKind`). The table of cases with expected verdicts is in
`tests/unit/test_hidden_complaints.py`; its precision and recall are reported there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from services.untrusted import fold


class ComplaintKind(StrEnum):
    DEFECT = "defect"
    MISSING = "missing"
    WRONG_ITEM = "wrong_item"
    SIZE = "size"
    RETURN = "return"
    SARCASM = "sarcasm"
    DISAPPOINTED = "disappointed"
    FAKE = "fake"
    DELIVERY = "delivery"


# Denials of a problem, removed before the problem patterns run.
_DENIALS: Final = re.compile(
    r"(без|нет|ни одного|никакого|никаких|не было|не нашл[аи]?|не обнаружил[аи]?)\s+"
    r"(брака|браков|дефект\w*|изъян\w*|запаха|повреждени\w*|царапин\w*|сколов|затяжек|катышк\w*)"
    r"|(брака|дефектов|запаха|повреждений|царапин|сколов|катышков|затяжек)\s+(нет|не было|не обнаружено)"
    r"|(все|вс[её]|всё)\s+(пришло|пришли|на месте|в комплекте)"
    r"|размер\w*\s+(подош\w+|в размер|соответству\w+|идеальн\w*|сел\w*)"
    r"|(подош\w+|сел\w*|села)\s+(по\s+)?размер\w*"
    r"|размер\s+в\s+размер|в\s+размер\b"
    r"|(не пришлось|не придется|не буду|не хочется)\s+(возвращ\w+|вернуть|менять|обменивать)"
    r"|возвращ\w+\s+не\s+(буду|стану|придется)"
    r"|(запах|дефект|брак|недостат|минус)\w*\s+отсутству\w+"
    r"|никаких\s+проблем|без\s+проблем|проблем\s+нет"
    r"|не\s+разочаров\w*"
    r"|не\s+подвел\w*"
)

_RULES: Final[tuple[tuple[ComplaintKind, re.Pattern[str]], ...]] = (
    (
        ComplaintKind.DEFECT,
        re.compile(
            r"\bбрак\w*|бракован|дефект|\bсломал|\bсломан|сломалс|не работа|перестал\w* работ"
            r"|порван|\bрвет|\bдырк|\bдыра|\bпятн[оа]|разош[её]л\w* шов|шов разош|торчат нитк"
            r"|отклеил|облез|облупил|треснул|трещин|царапин|\bскол(ы|ов|ом)?\b|протека|протек\b"
            r"|полинял|линяет|\bкатышк|воня|\bвонь|запах\w* (химии|резины|краски)|сильный запах"
            r"|ужасный запах|неприятный запах|кривые швы|кривой шов|нитки торчат|затяжк"
            r"|не включа|не заряжа|не держит заряд|мят(ая|ый|ое)\b|помят"
        ),
    ),
    (
        ComplaintKind.MISSING,
        re.compile(
            r"не\s+приш(ел|ла|ло|ли)\b|не\s+доложил|недоложил|не\s+положил|не\s+хватает"
            r"|не\s+было\s+(в\s+)?(комплект|короб|упаковк|посылк)"
            r"|отсутству\w+\s+(детал|част|пуговиц|крышк|инструкци|ремешк)|(детал\w*|част\w*|крышк\w*|инструкци\w*)\s+отсутству"
            r"|пуст(ая|ой)\s+(коробк|пакет|посылк)|не\s+довез|не\s+доставил|без\s+(крышки|чехла|зарядки|инструкции)"
            r"|некомплект|потеряли|(в\s+комплекте|в\s+коробке|в\s+посылке)\s+не\s+было|не\s+было\s+\w+\s+в\s+(комплекте|коробке|посылке)"
            r"|не\s+было\s+(зарядк|крышк|инструкци|чехл|детал|пульт|кабел|батаре)"
        ),
    ),
    (
        ComplaintKind.WRONG_ITEM,
        re.compile(
            r"пришл\w*\s+не\s+т|прислали\s+(не\s|друг)|друг(ую|ой|ое)\s+(модел|товар|артикул)|не\s+т(от|а|о|е)\s+(цвет|модел|товар|артикул)"
            r"|не\s+того\s+цвета|другой\s+цвет|другого\s+цвета|перепутал|не\s+как\s+на\s+(фото|картинке)"
            r"|не\s+соответству\w+\s+(описани|фото|картинк)|отличает\w*\s+от\s+(фото|описани|картинк)"
            r"|на\s+фото\s+(одно|другое)|цвет\s+не\s+(тот|совпада|соответству)"
        ),
    ),
    (
        ComplaintKind.SIZE,
        re.compile(
            r"размер\w*\s+не\s+(тот|подош\w+|соответству\w+|совпада\w+)|не\s+тот\s+размер"
            r"|не\s+подош\w+\s+(по\s+)?размер|маломер|большемер|на\s+размер\s+(меньше|больше)"
            r"|размерн\w+\s+сетк\w+\s+не|мала\b|мал\b|малы\b|велик(а|и)?\b|маловат|великоват"
            r"|не\s+налез|не\s+застег"
        ),
    ),
    (
        ComplaintKind.RETURN,
        re.compile(
            r"\bвернул(а|и|ся|ась)?\b|\bверну\b|\bвернуть\b|\bвозврат\w*|отказал(ся|ась)\s+(при|на|от)"
            r"|сдал[аи]?\s+(обратно|назад|в\s+пвз)|\bобменял|\bобменя(ть|ю)\b|оформил\w*\s+возврат"
        ),
    ),
    (
        ComplaintKind.SARCASM,
        re.compile(
            r"ну\s+спасибо|спасибо\s+за\s+(брак|испорчен|потраченн|ожидани|нервы)"
            r"|[«\"“](качествен|отличн|нов|оригинал|хорош|супер)\w*[»\"”]"
            r"|(звезд[уыа]?|5|пять|4|четыре)\s+(звезд\w*\s+)?(только\s+)?за\s+(доставк|упаковк|курьер|пвз|скорост|пункт)"
            r"|ставлю\s+(5|пять|4|четыре)\w*\s+(звезд\w*\s+)?(только|лишь|авансом|из\s+жалост)"
            r"|оценк\w+\s+(за|только за)\s+(доставк|упаковк)"
            r"|браво,|ага,|ну-ну|класс\.\.\.|супер\.\.\.|отлично\.\.\.|прекрасно\.\.\."
            r"|сто\s+лет\s+шл|шло\s+(целый\s+)?месяц|ждал\w*\s+(целый\s+)?месяц"
            r"|\)\)\s*не\s|спасибо,\s+что\s+хоть"
        ),
    ),
    (
        ComplaintKind.DISAPPOINTED,
        re.compile(
            r"к\s+сожалению|\bжаль\b|разочаров|не\s+рекоменд|не\s+советую|не\s+покупайте"
            r"|не\s+берите|больше\s+не\s+(закаж|куплю|возьму)|деньги\s+на\s+ветер|зря\s+(купил|потрат|взял)"
            r"|не\s+стоит\s+(своих\s+)?денег|не\s+доволен|не\s+довольна|недовол|ужасн|отвратит|кошмар"
            r"|качество\s+(так\s+себе|ниже|плохое|отстой|ужас)|плохое\s+качество|некачествен"
            r"|продавец\s+не\s+отвеча|не\s+отвечает|обман"
        ),
    ),
    (
        ComplaintKind.FAKE,
        re.compile(r"подделк|\bпаль\b|палев|не\s+оригинал|неоригинал|\bреплик|китайская\s+копия"),
    ),
    (
        ComplaintKind.DELIVERY,
        re.compile(
            r"коробка\s+(порвана|смята|разбит)|разбил\w*|вскрыт\w*\s+(упаковк|коробк|посылк)|\bб\s*/\s*у\b|бывш\w+\s+в\s+употреблени|\bношен(ый|ая|ое|ые)\b"
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """`kinds` empty: a clean positive an automatic reply may answer."""

    kinds: tuple[ComplaintKind, ...]

    @property
    def hidden_complaint(self) -> bool:
        return bool(self.kinds)


def review_text(text: str | None, pros: str | None, cons: str | None) -> str:
    """The whole of what the buyer wrote: a complaint often hides in the 'cons' field."""
    return "\n".join(part for part in (text, pros, cons) if part)


def judge(text: str) -> Verdict:
    """The rules' verdict on a review's whole text (see `review_text`)."""
    norm = fold(text).text
    norm = _DENIALS.sub(" ", norm)
    kinds = tuple(kind for kind, pattern in _RULES if pattern.search(norm))
    return Verdict(kinds)


def judge_review(text: str | None, pros: str | None, cons: str | None) -> Verdict:
    """`judge` over the text, pros and cons of a review. 'Cons' with any words in it other
    than a denial ("нет", "недостатков нет", "-") count as a complaint on their own: the buyer
    took the trouble to name a flaw."""
    verdict = judge(review_text(text, pros, cons))
    if cons and not _NO_CONS.fullmatch(fold(cons).text.strip(" .!-–—")) and not verdict.kinds:
        return Verdict((ComplaintKind.DISAPPOINTED,))
    return verdict


_NO_CONS: Final = re.compile(
    r"(нет|нету|не\s+нашл[аи]?|не\s+обнаружил[аи]?|отсутствуют|никаких|пока\s+нет|не\s+выявлено"
    r"|недостатков\s+(нет|не\s+обнаружено|не\s+нашл[аи]?)|нет\s+недостатков|все\s+(отлично|хорошо|супер)"
    r"|минусов\s+нет|нет\s+минусов|-|—|)",
)
