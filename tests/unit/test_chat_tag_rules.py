"""The chat tag rules on real-looking Russian buyer messages: which tag each gets, and which
ones the rules leave to the LLM. The share is printed (run with -s) and bounded."""

from __future__ import annotations

import pytest

from services.chats.rules import Msg, tag_by_rules

B, S = "client", "seller"
LLM = None

# (conversation oldest first, expected rules tag or LLM when the rules must be unsure)
CASES: list[tuple[list[tuple[str, str]], str | None]] = [
    ([(B, "Пришёл брак, молния сломана")], "deletion_candidate"),
    ([(B, "Куртка порвалась после первой носки")], "deletion_candidate"),
    ([(B, "Не подошёл размер, маломерит сильно")], "deletion_candidate"),
    ([(B, "Прислали не тот цвет, заказывала чёрный")], "deletion_candidate"),
    ([(B, "Ужасное качество, ткань как бумага")], "deletion_candidate"),
    ([(B, "Чайник не работает с первого дня")], "deletion_candidate"),
    ([(B, "В комплекте не хватает двух болтов")], "deletion_candidate"),
    ([(B, "Товар не соответствует описанию")], "deletion_candidate"),
    ([(B, "Очень разочарована покупкой")], "deletion_candidate"),
    ([(B, "Воняет химией, невозможно пользоваться")], "deletion_candidate"),
    ([(B, "Верните мне деньги за товар")], "refund_requested"),
    ([(B, "Хочу оформить возврат, как это сделать?")], "refund_requested"),
    ([(B, "Можно компенсацию за брак?")], "refund_requested"),
    ([(B, "Хочу вернуть товар")], "refund_requested"),
    ([(B, "Деньги верните пожалуйста, товар не нужен")], "refund_requested"),
    ([(S, "Предлагаем замену"), (B, "Хорошо, удалю отзыв")], "deletion_agreed"),
    ([(S, "Сможете пересмотреть оценку?"), (B, "Ладно, изменю оценку")], "deletion_agreed"),
    ([(B, "Готова изменить отзыв, если пришлёте замену")], "deletion_agreed"),
    ([(B, "Договорились, исправлю оценку вечером")], "deletion_agreed"),
    ([(B, "Исправлю звёзды, спасибо за понимание")], "deletion_agreed"),
    ([(B, "Удалила отзыв, проверьте")], "deletion_confirmed"),
    ([(B, "Изменил оценку на 5")], "deletion_confirmed"),
    ([(B, "Поставила пятёрку")], "deletion_confirmed"),
    ([(B, "Отзыв уже удалён")], "deletion_confirmed"),
    ([(B, "Оценку исправила, всего доброго")], "deletion_confirmed"),
    ([(B, "Не буду удалять отзыв")], "unsuccessful"),
    ([(B, "Хорошо, но отзыв менять не буду")], "unsuccessful"),
    ([(B, "Не удалю, пусть люди знают")], "unsuccessful"),
    ([(B, "Отзыв оставлю как есть")], "unsuccessful"),
    ([(B, "Ни за что, товар ужасный")], "unsuccessful"),
    ([(B, "Не пишите мне больше")], "unsuccessful"),
    ([(B, "Не собираюсь ничего исправлять")], "unsuccessful"),
    ([(B, "Спасибо за помощь, всё решилось")], "successful"),
    ([(B, "Проблема решена, благодарю")], "successful"),
    ([(B, "Замену получила, всё отлично")], "successful"),
    ([(B, "Очень довольна, спасибо за замену")], "successful"),
    ([(B, "Деньги получил, вопрос закрыт")], "successful"),
    ([(B, "Спасибо")], "completed"),
    ([(B, "Понятно, благодарю")], LLM),
    ([(B, "Вопросов больше нет")], "completed"),
    ([(B, "Ок")], "completed"),
    ([(B, "До свидания")], "completed"),
    ([(B, "Зарабатывай от 5000 в день, пиши t.me/money")], "spam"),
    ([(B, "Продвижение карточек на WB недорого https://promo.example")], "spam"),
    ([(B, "Подписывайтесь на наш канал @bestdeals")], "spam"),
    ([(B, "Ставки на спорт, бонус новичкам")], "spam"),
    ([(B, "Здравствуйте"), (S, "Добрый день! Чем помочь?")], "active"),
    ([(B, "Брак"), (S, "Пришлём замену"), (S, "Вы получили замену?")], "no_reply"),
    (
        [(B, "Плохо"), (S, "Сожалеем. Могли бы вы пересмотреть отзыв после замены?")],
        "deletion_offered",
    ),
    ([(B, "Брак"), (S, "Оформим замену"), (S, "Напишите, пожалуйста"), (S, "Ждём")], "no_reply"),
    ([(S, "Здравствуйте! Мы видели ваш отзыв")], LLM),
    ([(B, "Когда придёт заказ?")], LLM),
    ([(B, "Подскажите, есть ли размер побольше?")], LLM),
    ([(B, "А это натуральная кожа?")], LLM),
    ([(B, "Здравствуйте")], LLM),
    ([(B, "Я подумаю")], LLM),
    ([(B, "Сломалось, верните деньги")], "refund_requested"),  # money asked: refund wins
    ([(B, "Удалю отзыв, если вернёте деньги")], LLM),
    ([(B, "Всё хорошо, но хочу вернуть второй")], LLM),
    ([(B, "Посмотрим")], LLM),
    ([(B, "Брак был"), (S, "Вышлем замену"), (B, "Жду")], LLM),
    ([(B, "Товар пришёл без инструкции")], "deletion_candidate"),
    ([(B, "Ответьте уже!!!")], LLM),
    ([(B, "Мне не понравилось")], LLM),
    ([(B, "Верните деньги за брак"), (B, "Ответьте, пожалуйста")], "refund_requested"),
    ([(B, "Спасибо"), (B, "А когда придёт?")], LLM),
    ([(B, "Брак"), (S, "Вышлем замену"), (B, "Замену получила, всё отлично")], "successful"),
]


def test_at_least_sixty_messages() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(("conversation", "expected"), CASES)
def test_rule_tag(conversation: list[tuple[str, str]], expected: str | None) -> None:
    verdict = tag_by_rules([Msg(s, t) for s, t in conversation])
    assert verdict.tag == expected, verdict.reason


def test_deletion_funnel_chats_go_to_the_deletion_prompt() -> None:
    verdict = tag_by_rules([Msg(B, "Я подумаю")], current="deletion_offered")
    assert verdict.tag is None and verdict.deletion


def test_share_of_rules_vs_llm(capsys: pytest.CaptureFixture[str]) -> None:
    unsure = sum(1 for conv, _ in CASES if tag_by_rules([Msg(s, t) for s, t in conv]).tag is None)
    share = unsure / len(CASES)
    with capsys.disabled():
        print(
            f"\nchat tags: {len(CASES)} conversations, rules {len(CASES) - unsure}, "
            f"LLM {unsure} ({share:.0%})"
        )
    assert share <= 0.30
