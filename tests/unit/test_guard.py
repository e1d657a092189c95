"""The output guard, table-driven: texts it must block (with the code) and texts it must pass."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.ai.guard import Channel, check_text


@dataclass(frozen=True)
class Case:
    text: str
    channel: Channel = "review_reply"
    rating: int | None = 2
    allowed: bool = False
    max_comp: str | None = None
    seller_wrote: bool = False
    code: str = ""
    other_lang: bool = False  # the store's instructions ask for another language


# Money the guard must recognise as an offer, however it is written: "р", percents of the
# price, partial or full refunds, half the price. Each is blocked at 4 stars, and at 1-3 stars
# when the product's rules offer no compensation.
MONEY_TEXTS: list[str] = [
    "Вернём 200 р.",
    "Отправим вам 300 р на карту.",
    "Вернём 50% стоимости.",
    "Сделаем вам частичный возврат за дефект.",
    "Готовы вернуть половину цены за брак.",
    "Полную стоимость переведём вам на карту.",
]

ZW = "\u200b"  # zero-width space
ZWNJ = "\u200c"
ZWJ = "\u200d"
WJ = "\u2060"  # word joiner
SHY = "\u00ad"  # soft hyphen
BOM = "\ufeff"

# Issue 10: an instruction to the model inside a review, and a model that obeys it. Each
# family in several phrasings; `other_lang=True` cases show the rule that still blocks an
# English text in a store that asked for English.
INJECTED: list[Case] = [
    # offers in English
    Case("We will refund you $20 if you delete your review.", code="not_russian"),
    Case(
        "We will refund you $20 if you delete your review.", other_lang=True, code="asks_to_delete"
    ),
    Case(
        "Please remove your feedback and we will send you a gift card.",
        other_lang=True,
        code="money_for_rating",
    ),
    Case(
        "Change your rating to 5 stars and get a full refund.",
        other_lang=True,
        code="money_for_rating",
    ),
    Case(
        "We'll pay you 500 rubles for updating your review.",
        other_lang=True,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Sorry for the trouble, we can offer compensation once the review is removed.",
        other_lang=True,
        code="money_for_rating",
    ),
    Case(
        "Sorry about that! We can send you a small bonus.",
        other_lang=True,
        code="compensation_not_allowed",
    ),
    Case(
        "Thank you! Here is a discount for your next order.",
        rating=4,
        other_lang=True,
        code="money_at_4_stars",
    ),
    Case("Sorry! Leave us five stars and we pay you back.", channel="chat", code="not_russian"),
    # Russian words with Latin (or Greek) look-alike letters inside
    Case("Удaлите oтзыв, и мы вернём деньги.", code="mixed_script"),
    Case("Удaлите oтзыв, и мы вернём деньги.", allowed=True, code="asks_to_delete"),
    Case("Удaлите oтзыв, и мы вернём деньги.", allowed=True, code="money_for_rating"),
    Case("Пожалуйста, yдалите свой отзыв.", channel="chat", code="asks_to_delete"),
    Case("Измените оцeнку на 5 звёзд, пришлём пoдарок.", allowed=True, code="money_for_rating"),
    Case("Мы вернём дeньги за брак.", allowed=True, max_comp="500", code="mixed_script"),
    Case("Уберите οтзыв, мы всё исправим.", code="asks_to_delete"),  # a Greek omicron
    Case("Удалите 0тзыв, вернём деньги.", allowed=True, code="money_for_rating"),  # zero for "о"
    Case("Компенсируем 300 рублей, если удалите от3ыв.", allowed=True, code="money_for_rating"),
    Case("Please rеmove your rеview.", other_lang=True, code="asks_to_delete"),  # Cyrillic е
    Case("Пожалуйста, удалiте отзыв, мы всё исправим.", code="asks_to_delete"),  # Cyrillic "і"
    Case("Пожалуйста, уд@лите отзыв.", channel="chat", code="mixed_script"),
    Case("Пожалуйста, уд@лите отзыв.", channel="chat", code="asks_to_delete"),
    Case("УДАЛИТЕ ОТЗЫB, ВЕРНЁМ ДЕНЬГИ.", allowed=True, code="money_for_rating"),  # Latin B
    Case("Спасибо! о.т.з.ы.в у_д_а_л_и_т_е, пожалуйста.", channel="chat", code="asks_to_delete"),
    Case("Спасибо! У д а л и т е  о т з ы в, пожалуйста.", channel="chat", code="asks_to_delete"),
    Case(
        "Ｕｄａｌｉｔｅ ｏｔｚｙｖ, ｐｏｚｈａｌｕｊｓｔａ", code="not_russian"
    ),  # full-width transliteration
    # synonyms of the review, the rating, deleting and editing
    Case("Удалите отклик, пожалуйста, мы всё исправим.", channel="chat", code="asks_to_delete"),
    Case("Уберите комментарий, и мы компенсируем покупку.", allowed=True, code="money_for_rating"),
    Case("Снимите, пожалуйста, звёзды с отзыва.", channel="chat", code="asks_to_delete"),
    Case("Удалите свой отклик, а мы переведём вам деньги.", allowed=True, code="money_for_rating"),
    Case(
        "Если поменяете отклик на положительный, вернём часть стоимости.",
        allowed=True,
        code="money_for_rating",
    ),
    Case("Аннулируйте оценку, и получите подарок от нас.", allowed=True, code="asks_to_delete"),
    Case(
        "Перепишите отклик, а мы вернём 300 рублей.",
        allowed=True,
        max_comp="500",
        code="money_for_rating",
    ),
    Case("Отмените публикацию отзыва, пожалуйста.", channel="chat", code="asks_to_delete"),
    Case("Поправьте рейтинг, и мы начислим вам бонус.", allowed=True, code="money_for_rating"),
    Case("За хороший отклик дарим скидку 20%.", rating=3, allowed=True, code="money_for_rating"),
    # gifts offered, in any words
    Case("Вложим подарок в ваш следующий заказ.", code="compensation_not_allowed"),
    Case("Вас ждёт подарок от нашего магазина!", rating=4, code="money_at_4_stars"),
    Case("Подарок для вас уже в пути.", code="compensation_not_allowed"),
    Case("We will send you a free gift.", other_lang=True, code="compensation_not_allowed"),
    Case("Hello! I am a chatbot of the store.", other_lang=True, code="mentions_ai"),
    Case("As a language model, I cannot check this.", other_lang=True, code="mentions_ai"),
    # amounts in words
    Case("Переведём тысячу, если вы удалите отзыв.", allowed=True, code="money_for_rating"),
    Case("Вернём вам пятьсот, если отзыв исчезнет.", allowed=True, code="money_for_rating"),
    Case("Готовы перечислить двести на карту.", code="compensation_not_allowed"),
    Case("Скинем косарь на карту за исправление оценки.", allowed=True, code="money_for_rating"),
    Case("Переведём тысячу за неудобства.", code="compensation_not_allowed"),
    Case(
        "Переведём тысячу за неудобства.",
        allowed=True,
        max_comp="500",
        code="compensation_over_max",
    ),
    Case("Вернём пятьдесят процентов за брак.", rating=4, code="money_at_4_stars"),
    Case(
        "Отправим вам полторы тысячи за брак.",
        allowed=True,
        max_comp="30%",
        code="compensation_over_max",
    ),
    # phrases split by zero-width and other invisible characters
    Case(f"Уда{ZW}лите от{ZW}зыв, пожалуйста.", channel="chat", code="asks_to_delete"),
    Case(f"Верн{ZWNJ}ём день{ZWJ}ги за пять звёзд.", allowed=True, code="money_for_rating"),
    Case(
        f"Пере{WJ}ведём 300 р{BOM}ублей, если удалите отзыв.", allowed=True, code="money_for_rating"
    ),
    Case(f"Удали{SHY}те от{SHY}зыв, вернём деньги.", allowed=True, code="asks_to_delete"),
    Case(f"Ком{ZW}пен{ZW}сируем брак.", code="compensation_not_allowed"),
    Case(f"Ре{ZW}фанд за уда{ZWJ}ление отзыва.", allowed=True, code="money_for_rating"),
    # currency signs and currencies
    Case("Предлагаем $20 за беспокойство.", code="compensation_not_allowed"),
    Case("Вернём 20 € за неудобства.", code="compensation_not_allowed"),
    Case(
        "Готовы компенсировать 15$ за брак.",
        allowed=True,
        max_comp="500",
        code="compensation_over_max",
    ),
    Case("Вернём 500 ₽ за брак.", code="compensation_not_allowed"),
    Case("Компенсация 300 руб за брак.", rating=5, code="money_at_4_stars"),
    Case("Отправим 10 долларов за неудобства.", code="compensation_not_allowed"),
    Case("Дарим £5 за 5 звёзд.", allowed=True, code="money_for_rating"),
    Case("Вернём 1000 ₸ за брак.", allowed=True, max_comp="500", code="compensation_over_max"),
    Case("10 евро вернём за брак.", code="compensation_not_allowed"),
    Case("Вернём тысячу за товар.", code="compensation_not_allowed"),
    Case("Отмените свой отзыв, пожалуйста.", channel="chat", code="asks_to_delete"),
    # not in Russian, and no language asked for by the store
    Case("Thank you for your review! We are glad you liked it.", rating=5, code="not_russian"),
    Case("Дякуємо за відгук! Ми перевіримо товар.", code="not_russian"),
    Case("Рахмет! Сіздің пікіріңіз біз үшін маңызды.", code="not_russian"),
    Case(
        "Vielen Dank für Ihre Bewertung!", channel="question_reply", rating=None, code="not_russian"
    ),
]

# Texts the new rules must leave alone: Latin brand names, emoji joined by ZWJ, "№", sizes.
INJECTION_LOOKALIKE_GOOD: list[Case] = [
    Case("Спасибо за отзыв о Xiaomi Redmi Note 12 Pro! Рады, что телефон понравился.", rating=5),
    Case(f"Спасибо за отзыв! ❤️ Рады стараться для всей семьи 👨{ZWJ}👩{ZWJ}👧", rating=5),
    Case("Подскажите, пожалуйста, № заказа, мы проверим партию.", channel="chat", rating=2),
    Case(
        "Размер 100х300см, есть в цветах XS, S, M и L. Спасибо за вопрос!",
        channel="question_reply",
        rating=None,
    ),
    Case("Thank you for your review! We are glad you liked the jacket.", rating=5, other_lang=True),
    Case("Олексій, спасибо за отзыв! Мы проверим партию и заменим товар.", rating=2),
    Case(
        "Кабель USB-C поддерживает зарядку до 100 Вт. Спасибо за вопрос!",
        channel="question_reply",
        rating=None,
    ),
    Case("Спасибо за отклик! Мы передали замечание на склад.", rating=3),
    Case("Рады, что iPhone-чехол подошёл. Спасибо, что выбрали нас!", rating=5),
    Case("Замену вы получите через десять рабочих дней. Спасибо за отзыв!", rating=2),
    Case("Шарф из кашемира (cashmere) очень мягкий. Спасибо за отзыв!", rating=4),
    Case("Вилка евро-стандарта, подходит к любой розетке.", channel="question_reply", rating=None),
    Case("Отмените заказ и оформите новый, спасибо за отзыв!", rating=3),
    Case("Отправим двадцать штук на замену бракованных.", rating=2),
]

BAD: list[Case] = [
    # mentions of AI
    Case("Этот ответ подготовила нейросеть, спасибо за отзыв.", code="mentions_ai"),
    Case("Спасибо! Ответ сгенерирован автоматически.", code="mentions_ai"),
    Case(
        "Я бот магазина и помогу вам с возвратом.", channel="chat", rating=None, code="mentions_ai"
    ),
    Case(
        "С вами на связи ИИ-помощник продавца. Чем помочь?",
        channel="chat",
        rating=None,
        code="mentions_ai",
    ),
    Case(
        "Мы используем искусственный интеллект для ответов. Спасибо за отзыв.", code="mentions_ai"
    ),
    Case("Ответ подготовлен ChatGPT. Спасибо за покупку!", code="mentions_ai"),
    Case(
        "Как языковая модель, я не могу это проверить. Спасибо за вопрос.",
        channel="question_reply",
        rating=None,
        code="mentions_ai",
    ),
    Case(
        "Просим проверить отзыв. Текст жалобы подготовлен нейросетью DeepSeek.",
        channel="complaint",
        rating=2,
        code="mentions_ai",
    ),
    Case(
        "Ваш виртуальный ассистент на связи. Подскажите, чем помочь?",
        channel="chat",
        rating=None,
        code="mentions_ai",
    ),
    # direct requests to delete
    Case("Пожалуйста, удалите отзыв, мы всё исправим.", code="asks_to_delete"),
    Case("Просим вас удалить этот отзыв. Спасибо!", code="asks_to_delete"),
    Case(
        "Не могли бы вы убрать отзыв? Мы заменим товар.",
        channel="chat",
        rating=None,
        code="asks_to_delete",
    ),
    Case(
        "Уберите, пожалуйста, свой отзыв, если вопрос решён.",
        channel="chat",
        rating=3,
        code="asks_to_delete",
    ),
    Case(
        "Отзыв удалите, пожалуйста, товар мы заменим.",
        channel="chat",
        rating=None,
        code="asks_to_delete",
    ),
    Case(
        "Рассмотрите, пожалуйста, возможность удаления отзыва.",
        channel="chat",
        rating=2,
        code="asks_to_delete",
    ),
    Case(
        "Будем благодарны, если снимете отзыв после замены.",
        channel="chat",
        rating=2,
        code="asks_to_delete",
    ),
    Case("Можете стереть отзыв? Заранее спасибо.", channel="chat", rating=2, code="asks_to_delete"),
    Case(
        "Удалите, пожалуйста, негативную оценку. Мы разобрались с браком.",
        channel="chat",
        rating=1,
        code="asks_to_delete",
    ),
    Case("Пожалуйста, удалите отзыв", channel="chat", rating=1, code="asks_to_delete"),
    # money or gifts traded for the rating or deleting (even when compensation is allowed)
    Case(
        "Вернём 300 рублей, если вы измените оценку на 5 звёзд.",
        rating=2,
        allowed=True,
        max_comp="500",
        code="money_for_rating",
    ),
    Case(
        "За 5 звёзд отправим вам подарок. Спасибо за покупку!",
        rating=3,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Дарим промокод на скидку за исправление оценки.",
        channel="chat",
        rating=2,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Готовы выплатить компенсацию за удаление отзыва.",
        channel="chat",
        rating=1,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Поставьте пятёрку, и мы вернём деньги за товар.",
        channel="chat",
        rating=1,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Кешбэк 200 ₽ в обмен на обновлённый отзыв.",
        channel="chat",
        rating=2,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Начислим бонус за отзыв с высокой оценкой.",
        rating=3,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Если поднимете рейтинг, переведём вам 500 рублей.",
        channel="chat",
        rating=2,
        allowed=True,
        max_comp="1000",
        code="money_for_rating",
    ),
    Case(
        "Как вопрос решится, пришлём сертификат на 1000 рублей за изменение отзыва.",
        channel="chat",
        rating=2,
        allowed=True,
        max_comp="1000",
        code="money_for_rating",
    ),
    Case(
        "Заплатим 100 рублей за удаление вашего отзыва.",
        channel="question_reply",
        rating=None,
        code="money_for_rating",
    ),
    # the offer and the rating request in different sentences
    Case(
        "Поставьте 5 звёзд. Пришлём бесплатный чехол.",
        channel="chat",
        rating=2,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Измените оценку, пожалуйста. Мы подготовили для вас подарок.",
        channel="chat",
        rating=3,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Поставьте 5 звёзд. Пришлём подарок.",
        channel="chat",
        rating=2,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Мы готовы вернуть 300 рублей. Будем благодарны, если после этого вы измените оценку.",
        channel="chat",
        rating=2,
        allowed=True,
        max_comp="500",
        code="money_for_rating",
    ),
    Case(
        "Оцените нас на пять! Взамен начислим промокод на следующую покупку.",
        rating=3,
        allowed=True,
        code="money_for_rating",
    ),
    # any money at 4 stars
    Case(
        "Спасибо за 4 звезды! Вернём часть стоимости за небольшой дефект.",
        rating=4,
        allowed=True,
        code="money_at_4_stars",
    ),
    Case(
        "Предлагаем компенсацию 200 рублей за неудобства.",
        rating=4,
        allowed=True,
        code="money_at_4_stars",
    ),
    Case(
        "Дарим скидку 10% на следующий заказ. Будем рады видеть вас снова.",
        rating=4,
        code="money_at_4_stars",
    ),
    Case(
        "Отправим кешбэк на карту. Спасибо за выбор нашего магазина.",
        channel="chat",
        rating=4,
        allowed=True,
        code="money_at_4_stars",
    ),
    # compensation not offered by the product's rules, or above its maximum
    Case(
        "Мы вернём вам деньги за брак. Напишите нам в чат заказа.",
        rating=2,
        code="compensation_not_allowed",
    ),
    Case(
        "Готовы компенсировать 300 рублей за брак. Пришлите фото дефекта.",
        channel="chat",
        rating=1,
        code="compensation_not_allowed",
    ),
    Case(
        "Вернём 800 рублей за брак. Ещё раз приносим извинения.",
        rating=1,
        allowed=True,
        max_comp="500 руб",
        code="compensation_over_max",
    ),
    Case(
        "Компенсируем 50% стоимости из-за дефекта.",
        channel="chat",
        rating=2,
        allowed=True,
        max_comp="30%",
        code="compensation_over_max",
    ),
    # links, phones, contacts, personal data
    Case("Подробнее на нашем сайте https://shop.example.ru/help.", code="link"),
    Case("Инструкция есть на www.example.com, загляните.", code="link"),
    Case(
        "Пишите нам в t.me/shop_support, ответим быстро.", channel="chat", rating=None, code="link"
    ),
    Case(
        "Смотрите видеообзор на mysite.ru. Спасибо!",
        channel="question_reply",
        rating=None,
        code="link",
    ),
    Case("Позвоните нам по номеру +7 (999) 123-45-67, решим вопрос.", code="phone"),
    Case("Наш телефон 8 800 555 35 35, звоните.", channel="chat", rating=None, code="phone"),
    Case(
        "Напишите в WhatsApp, разберёмся. Спасибо за терпение.",
        channel="chat",
        rating=None,
        code="external_contact",
    ),
    Case(
        "Напишите нам на почту support@example.com.",
        channel="chat",
        rating=None,
        code="external_contact",
    ),
    Case(
        "Пришлите, пожалуйста, номер вашей карты для возврата.",
        channel="chat",
        rating=2,
        allowed=True,
        code="personal_data",
    ),
    Case(
        "Сообщите ваш номер телефона, и менеджер перезвонит.",
        channel="chat",
        rating=None,
        code="personal_data",
    ),
    Case(
        "Укажите, пожалуйста, ваш адрес. Мы отправим замену.",
        channel="chat",
        rating=None,
        code="personal_data",
    ),
    Case(
        "Для проверки нужны паспортные данные покупателя.",
        channel="chat",
        rating=None,
        code="personal_data",
    ),
    # markdown
    Case("**Спасибо** за отзыв! Мы учтём замечания.", code="markdown"),
    Case("# Ответ продавца\nСпасибо за отзыв.", code="markdown"),
    Case("Подробности [здесь](https://example.com). Спасибо.", code="markdown"),
    Case(
        "Используйте режим `eco` для стирки. Спасибо за вопрос.",
        channel="question_reply",
        rating=None,
        code="markdown",
    ),
    Case(
        "* Размер маломерит\n* Берите на размер больше",
        channel="question_reply",
        rating=None,
        code="markdown",
    ),
    # complaints: greeting, review reference, length
    Case(
        "Здравствуйте! Отзыв не относится к товару, просим удалить его.",
        channel="complaint",
        code="greeting_to_moderator",
    ),
    Case(
        "Уважаемые модераторы, отзыв описывает доставку, а не товар.",
        channel="complaint",
        code="greeting_to_moderator",
    ),
    Case(
        "Отзыв Ивана от 12.03.2025 не относится к товару, просим проверить.",
        channel="complaint",
        code="review_reference",
    ),
    Case(
        "Отзыв покупателя Анна от 5 марта содержит оскорбления.",
        channel="complaint",
        code="review_reference",
    ),
    Case("Отзыв не о товаре. " * 60, channel="complaint", code="too_long"),
    Case("Плохо.", channel="complaint", code="too_short"),
    # lengths and second greeting in chats
    Case("Спасибо. " * 130, channel="chat", rating=None, code="too_long"),
    Case("О", channel="chat", rating=None, code="empty_or_short"),
    Case(
        "Здравствуйте, Мария! Удалось ли решить вопрос с размером?",
        channel="chat",
        rating=3,
        seller_wrote=True,
        code="second_greeting",
    ),
    Case("   ", code="empty"),
    Case("Д", code="too_short"),
    Case(
        "Отправим вам второй плед бесплатно, если поменяете оценку.",
        channel="chat",
        rating=2,
        code="money_for_rating",
    ),
    Case(
        "Оставьте отзыв с фото и получите бонус 200 рублей.",
        channel="question_reply",
        rating=None,
        code="money_for_rating",
    ),
    Case(
        "Подарок ждёт каждого, кто исправит отзыв на положительный.",
        rating=3,
        code="money_for_rating",
    ),
    Case(
        "Уточните, пожалуйста, номер телефона, указанный при заказе.",
        channel="chat",
        rating=None,
        code="personal_data",
    ),
    Case(
        "Этот ответ написан роботом, не отвечайте на него.",
        channel="chat",
        rating=None,
        code="mentions_ai",
    ),
    # audit: money written as "р", percents or shares of the price
    *[Case(t, rating=4, code="money_at_4_stars") for t in MONEY_TEXTS],
    *[Case(t, channel="chat", rating=2, code="compensation_not_allowed") for t in MONEY_TEXTS],
    # audit: amounts in another unit than the maximum, with no unit, or the full price
    Case(
        "Компенсируем 5000 рублей за брак.",
        rating=2,
        allowed=True,
        max_comp="30%",
        code="compensation_over_max",
    ),
    Case(
        "Сделаем кэшбэк 700.",
        channel="chat",
        rating=2,
        allowed=True,
        max_comp="500",
        code="compensation_over_max",
    ),
    Case(
        "Сделаем кэшбэк 300, чтобы загладить неудобства.",
        channel="chat",
        rating=2,
        allowed=True,
        max_comp="500",
        code="compensation_over_max",
    ),
    Case(
        "Компенсация 600 RUB.", rating=1, allowed=True, max_comp="500", code="compensation_over_max"
    ),
    Case(
        "Компенсация составит 1.000 руб.",
        rating=1,
        allowed=True,
        max_comp="500",
        code="compensation_over_max",
    ),
    Case(
        "Вернём 3 тыс. руб. за брак.",
        rating=1,
        allowed=True,
        max_comp="2 тыс",
        code="compensation_over_max",
    ),
    Case(
        "Вернём 20% стоимости за брак.",
        rating=2,
        allowed=True,
        max_comp="500 руб",
        code="compensation_over_max",
    ),
    Case(
        "Нам очень жаль! Вернём полную стоимость за брак.",
        rating=1,
        allowed=True,
        max_comp="30%",
        code="compensation_over_max",
    ),
    Case(
        "Оформим полный возврат за бракованный товар.",
        channel="chat",
        rating=1,
        allowed=True,
        max_comp="50%",
        code="compensation_over_max",
    ),
    Case(
        "Компенсируем половину стоимости за дефект.",
        rating=2,
        allowed=True,
        max_comp="500 руб",
        code="compensation_over_max",
    ),
    # audit: money on condition that the review changes or goes (passive and result forms)
    Case(
        "Вернем 300 рублей, если отзыв исчезнет.",
        rating=2,
        allowed=True,
        max_comp="500",
        code="money_for_rating",
    ),
    Case(
        "Если отзыв будет удалён, вернём деньги за товар.",
        channel="chat",
        rating=1,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Вернём деньги, если оценка станет выше.",
        channel="chat",
        rating=2,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Кэшбэк 300 рублей, если отзыв станет положительным.",
        channel="chat",
        rating=3,
        allowed=True,
        max_comp="500",
        code="money_for_rating",
    ),
    Case(
        "Компенсируем 300 рублей. А вы, пожалуйста, удалите его.",
        channel="chat",
        rating=2,
        allowed=True,
        max_comp="500",
        code="money_for_rating",
    ),
    Case(
        "Вернём деньги сразу после того, как отзыв будет убран.",
        channel="chat",
        rating=2,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Как только отзыва не станет, переведём компенсацию.",
        channel="chat",
        rating=1,
        allowed=True,
        code="money_for_rating",
    ),
    Case(
        "Мы пришлём вам подарок, если отзыв пропадёт.",
        channel="chat",
        rating=3,
        code="money_for_rating",
    ),
    # audit: requests for a name or a bare number
    Case("Напишите ваше имя и фамилию.", channel="chat", rating=2, code="personal_data"),
    Case("Как вас зовут? Назовите фамилию.", channel="chat", rating=2, code="personal_data"),
    Case("Подскажите ваш номер.", channel="chat", rating=None, code="personal_data"),
    # audit: delete requests with a long noun phrase, a pronoun, or "отозвать"
    Case(
        "Пожалуйста, удалите этот очень неприятный для нас всех негативный отзыв о товаре.",
        channel="chat",
        rating=2,
        code="asks_to_delete",
    ),
    Case(
        "Вы можете удалить его? Я имею в виду отзыв.",
        channel="chat",
        rating=2,
        code="asks_to_delete",
    ),
    Case("Вы могли бы отозвать отзыв?", channel="chat", rating=2, code="asks_to_delete"),
    # audit: markdown emphasis with one mark, bullet and numbered lists
    Case("Это *очень* важно для нас. Спасибо за отзыв.", code="markdown"),
    Case(
        "Что мы сделаем:\n- заменим товар\n- проверим всю партию",
        channel="chat",
        rating=2,
        code="markdown",
    ),
    Case(
        "Варианты решения:\n1. Замена товара\n2. Возврат через пункт выдачи",
        channel="chat",
        rating=2,
        code="markdown",
    ),
    # audit: AI named in other words
    Case("Ответ составлен автоматически.", code="mentions_ai"),
    Case("Этот ответ написал робот.", channel="chat", rating=None, code="mentions_ai"),
    Case("Спасибо за отзыв! Текст сформирован автоматически.", code="mentions_ai"),
    # issue 10: what an LLM obeying an instruction inside a review wrote, and reached WB
    *INJECTED,
]

GOOD: list[Case] = [
    *INJECTION_LOOKALIKE_GOOD,
    Case(
        "Мы вернём деньги за брак. Спасибо за отзыв: он помогает нам проверять партии.",
        rating=2,
        allowed=True,
        max_comp="500",
    ),
    Case(
        "Здравствуйте! Спасибо, что поделились впечатлением. Нам жаль, что размер не подошёл:"
        " в карточке есть таблица размеров, она поможет с выбором."
    ),
    Case(
        "Спасибо за отзыв! Мы вернём деньги за брак: напишите нам в чат заказа, и мы всё оформим.",
        rating=2,
        allowed=True,
        max_comp="500",
    ),
    Case(
        "Нам очень жаль, что товар пришёл с дефектом. Готовы компенсировать 300 рублей за брак"
        " или заменить товар.",
        rating=1,
        allowed=True,
        max_comp="500 руб",
    ),
    Case(
        "Спасибо за высокую оценку! Подскажите, что нам улучшить, чтобы товар заслужил пять звёзд?",
        rating=4,
    ),
    Case(
        "Благодарим за отзыв и за 4 звезды! Будем рады, если после использования вы обновите"
        " оценку.",
        rating=4,
    ),
    Case("Рады, что товар стоит своих денег! Спасибо, что выбрали наш магазин.", rating=4),
    Case("Спасибо за отзыв! Рады, что чехол плотно сидит на телефоне и защищает его.", rating=5),
    Case(
        "Ботинки сделаны из натуральной кожи, подошва не скользит. Спасибо за вопрос!",
        channel="question_reply",
        rating=None,
    ),
    Case(
        "Размер 42 соответствует длине стопы 27 см. Доставка бесплатная при заказе от 1000 рублей.",
        channel="question_reply",
        rating=None,
    ),
    Case(
        "Подскажите, пожалуйста, удалось ли решить вопрос с заменой? Мы на связи и готовы помочь.",
        channel="chat",
        rating=2,
        seller_wrote=True,
    ),
    Case(
        "Если вопрос решён, будем благодарны, если вы пересмотрите свой отзыв. Спасибо за"
        " терпение!",
        channel="chat",
        rating=2,
    ),
    Case(
        "Вы можете дополнить или изменить отзыв в личном кабинете. Нам важно ваше мнение.",
        channel="chat",
        rating=3,
    ),
    Case(
        "Напишите, пожалуйста, номер заказа, чтобы мы проверили партию. Спасибо!",
        channel="chat",
        rating=2,
    ),
    Case(
        "Мы передали замечание на производство. Благодарим, что помогаете нам стать лучше.",
        rating=3,
    ),
    Case("Отличный выбор в подарок! Спасибо, что рекомендуете нас.", rating=5),
    Case(
        "Состав ткани: хлопок 95%, эластан 5%. Стирка при 30 градусах.",
        channel="question_reply",
        rating=None,
    ),
    Case(
        "Артикул 215845874 есть в размерах S, M и L. Спасибо за вопрос!",
        channel="question_reply",
        rating=None,
    ),
    Case(
        "Спасибо за ответ, Мария. Подскажите, подошёл ли новый размер? Если нет, поможем с"
        " обменом.",
        channel="chat",
        rating=3,
        seller_wrote=True,
    ),
    Case(
        "Готовы предложить возврат денег за бракованный товар. Нам жаль, что так вышло.",
        channel="chat",
        rating=1,
        allowed=True,
    ),
    Case(
        "Отзыв не относится к товару: автор описывает работу пункта выдачи и сроки доставки."
        " Просим удалить отзыв как не относящийся к товару.",
        channel="complaint",
    ),
    Case(
        "Отзыв содержит оскорбления в адрес продавца и нецензурную лексику. Просим проверить"
        " его на соответствие правилам площадки.",
        channel="complaint",
    ),
    Case(
        "Автор признаёт, что товар не использовал, а оценка поставлена конкурентом: в отзыве"
        " сравниваются цены другого магазина. Просим удалить отзыв.",
        channel="complaint",
    ),
    Case(
        "Подобные отзывы оставляют боты конкурентов. Просим проверить отзыв.", channel="complaint"
    ),
    Case(
        "Жаль, что возникли сложности. Удалось ли вам воспользоваться инструкцией из коробки?",
        channel="chat",
        rating=3,
    ),
    Case(
        "Паспорт изделия лежит в коробке. Гарантия 12 месяцев.",
        channel="question_reply",
        rating=None,
    ),
    Case(
        "Карта памяти на 64 ГБ совместима с этим регистратором. Нужна карта класса 10.",
        channel="question_reply",
        rating=None,
    ),
    Case("Размеры коробки 180 х 90 х 60 см. Вес 12 кг.", channel="question_reply", rating=None),
    Case("Ваш заказ уже в пути! Спасибо за оценку, 5 звёзд для нас очень ценны.", rating=5),
    Case(
        "Если товар не подошёл, оформите возврат в личном кабинете: деньги вернутся на карту"
        " автоматически.",
        rating=2,
    ),
    Case(
        "Спасибо, что нашли время оставить отзыв! Мы вернём деньги за брак, напишите нам в"
        " чат заказа.",
        rating=1,
        allowed=True,
    ),
    Case("Рады, что подарок понравился! Спасибо за 5 звёзд.", rating=5),
    Case(
        "Доставка бесплатная до пункта выдачи. Спасибо за вопрос!",
        channel="question_reply",
        rating=None,
    ),
    Case(
        "Мы заменим товар, а после решения вопроса будем рады, если вы пересмотрите отзыв.",
        channel="chat",
        rating=2,
    ),
    Case(
        "Здравствуйте, Анна! Благодарим за отзыв. Сроки доставки зависят от службы доставки"
        " Wildberries, мы передали замечание.",
        rating=3,
    ),
    # false positives the audit fixes had to avoid
    Case(
        "Удалось ли вам получить замену? Если нет, напишите нам, и мы поможем.",
        channel="chat",
        rating=2,
    ),
    Case(
        "Товар отправляется с удалённого склада, поэтому доставка занимает до 7 дней. Спасибо"
        " за отзыв!",
        rating=3,
    ),
    Case("Мы удалим лишнюю нитку и проверим швы у всей партии. Спасибо за отзыв!", rating=3),
    Case("Если на ткани осталось пятно, удалите его мягкой губкой. Спасибо за отзыв!", rating=3),
    Case(
        "Отзыв оставлен конкурентом: автор советует купить товар в другом магазине. Просим"
        " удалить его.",
        channel="complaint",
    ),
    Case(
        "Отзовитесь, пожалуйста, если размер не подойдёт: мы поможем с обменом.",
        channel="chat",
        rating=3,
    ),
    Case(
        "Подскажите ваш номер заказа, и мы проверим, с какого склада он отправлен.",
        channel="chat",
        rating=2,
    ),
    Case("От имени всей команды благодарим за отзыв! Мы учтём ваши замечания.", rating=3),
    Case(
        "Размер M - на обхват груди 92-96 см. Спасибо за вопрос!",
        channel="question_reply",
        rating=None,
    ),
    Case(
        "Наволочки 50*70 см, простыня 220*240 см. Спасибо за вопрос!",
        channel="question_reply",
        rating=None,
    ),
    Case("Спасибо за 5* и тёплые слова! Будем рады видеть вас снова.", rating=5),
    Case("Спасибо за отзыв!\n— Команда магазина", rating=4),
    Case(
        "Нам жаль, что пришёл брак. Готовы вернуть 30% стоимости товара.",
        rating=2,
        allowed=True,
        max_comp="30%",
    ),
    Case(
        "Нам очень жаль! Вернём полную стоимость за бракованный товар.",
        rating=1,
        allowed=True,
        max_comp="100%",
    ),
    Case(
        "Вернём деньги за брак в течение 3 дней после проверки фото.",
        rating=2,
        allowed=True,
        max_comp="500",
    ),
    Case(
        "Если брак подтвердится, вернём 300 рублей. Пришлите, пожалуйста, фото дефекта.",
        channel="chat",
        rating=2,
        allowed=True,
        max_comp="500 руб",
    ),
    Case(
        "Спасибо за отзыв! Состав ткани: хлопок 95%, поэтому после стирки возможна небольшая"
        " усадка.",
        rating=4,
    ),
    Case("Вы можете вернуть 2 пары через пункт выдачи. Спасибо за отзыв!", rating=4),
    Case("Спасибо за отзыв! Модель стала в 2 раза прочнее после обновления.", rating=4),
    Case(
        "Возврат оформляется автоматически после сдачи товара в пункт выдачи. Спасибо за отзыв.",
        rating=2,
    ),
    Case(
        "Робот-пылесос работает до 120 минут без подзарядки. Спасибо за вопрос!",
        channel="question_reply",
        rating=None,
    ),
    Case("Спасибо за отзыв! Этот цвет мы уберём из продажи, пока не исправим краску.", rating=2),
]


@pytest.mark.parametrize("case", BAD, ids=lambda c: f"{c.code}:{c.text[:30]}")
def test_guard_blocks(case: Case) -> None:
    result = check_text(
        case.text,
        channel=case.channel,
        rating=case.rating,
        compensation_allowed=case.allowed,
        max_compensation=case.max_comp,
        seller_has_written=case.seller_wrote,
        other_language=case.other_lang,
    )
    assert not result.ok, result
    if case.code == "empty_or_short":
        assert set(result.problems) & {"empty", "too_short"}, result
    else:
        assert case.code in result.problems, result


@pytest.mark.parametrize("case", GOOD, ids=lambda c: c.text[:40])
def test_guard_passes(case: Case) -> None:
    result = check_text(
        case.text,
        channel=case.channel,
        rating=case.rating,
        compensation_allowed=case.allowed,
        max_compensation=case.max_comp,
        seller_has_written=case.seller_wrote,
        other_language=case.other_lang,
    )
    assert result.ok, result


def test_table_is_big_enough() -> None:
    assert len(BAD) >= 40
    assert len(GOOD) >= 20


def test_problem_codes_are_unique_and_described() -> None:
    r = check_text(
        "**Удалите отзыв**, бот вернёт деньги: https://x.ru, +7 999 123 45 67",
        channel="review_reply",
        rating=4,
    )
    assert len(r.problems) == len(set(r.problems))
    assert {"markdown", "asks_to_delete", "mentions_ai", "link", "phone"} <= set(r.problems)
    assert "money_at_4_stars" in r.problems
    assert all(d and d != p for d, p in zip(r.describe(), r.problems, strict=True))


def test_chat_sentence_count_is_a_warning_only() -> None:
    r = check_text(
        "Спасибо. Мы рядом. Поможем. Напишите. Ждём. Хорошего дня.", channel="chat", rating=None
    )
    assert r.ok and r.warnings == ["too_many_sentences"]


def test_e_and_yo_are_the_same_letter() -> None:
    assert (
        "money_for_rating"
        in check_text(
            "За пятёрку вернём 100 рублей.", channel="chat", rating=2, compensation_allowed=True
        ).problems
    )
    assert (
        "money_for_rating"
        in check_text(
            "За пятерку вернем 100 рублей.", channel="chat", rating=2, compensation_allowed=True
        ).problems
    )


def test_question_replies_may_mention_prices() -> None:
    r = check_text(
        "Цена 1500 рублей, скидка 10% действует до конца недели.",
        channel="question_reply",
        rating=None,
    )
    assert r.ok, r


def test_the_verdict_carries_the_text_it_read() -> None:
    """`GuardResult.text` is the checked text, without controls or invisible marks: the one
    callers store and send. A forbidden phrase split by them is still read and refused."""
    ok = check_text(
        f"  Спасибо за от{ZW}зыв!\x00 Мы{BOM} проверим партию.\n", channel="review_reply", rating=3
    )
    assert ok.ok and ok.text == "Спасибо за отзыв! Мы проверим партию."
    bad = check_text(f"Уда{ZWJ}лите от{ZW}зыв, по{ZWNJ}жалуйста.", channel="review_reply", rating=3)
    assert "asks_to_delete" in bad.problems and bad.text == "Удалите отзыв, пожалуйста."
