"""Deterministic, realistic Russian WB shops for the emulator.

`generate_shop(seed, ...)` always gives the same shop for the same seed and `now`. It is built
for volume (200,000 reviews in a few seconds): random choices are drawn in batches and texts
come from small pools, so the per-review cost is one object construction.

What a shop contains, on purpose (tests rely on these):
* ratings skewed to 5 with a tail of 1-3; dates over ~3 years, some before 2023-10-01;
* texts with emoji, with ``<``, ``&``, ``>`` and quotes, a few of exactly 5000 characters,
  empty ones with photos only and empty ones without photos (archived at once);
* answered and unanswered reviews, unanswered ones older than 30 days (archive only);
* products whose `supplierArticle` is null and reviews of nmIds that have no card;
* a few original/supplemented review pairs (`parentFeedbackId`/`childFeedbackId`);
* chats with buyer, seller and WB events, attachments, and events without a message.
"""

from __future__ import annotations

import base64
import random
import uuid
from datetime import UTC, datetime, timedelta

from tests.fakes.wb.state import (
    DAY,
    QUESTION_NEW,
    Attachment,
    Card,
    CardSize,
    Chat,
    ChatEvent,
    Feedback,
    FeedbackAnswer,
    GoodCard,
    Price,
    PriceSize,
    ProductDetails,
    Question,
    QuestionAnswer,
    Seller,
    SellerState,
)

LONG_TEXT_LEN = 5000
EARLY_DATE = datetime(2023, 6, 1, tzinfo=UTC)  # shops always reach back before 2023-10-01

SUBJECTS: list[tuple[int, str, str, bool]] = [  # (subjectID, subject, product noun, sized)
    (219, "Футболки-поло", "Футболка-поло", True),
    (192, "Футболки", "Футболка оверсайз", True),
    (105, "Платья", "Платье миди", True),
    (11, "Джинсы", "Джинсы прямые", True),
    (104, "Кроссовки", "Кроссовки беговые", True),
    (2656, "Кружки", "Кружка керамическая", False),
    (1441, "Чехлы для телефонов", "Чехол для iPhone 15", False),
    (3979, "Органайзеры для хранения", "Органайзер для косметики", False),
    (5067, "Наушники", "Наушники беспроводные", False),
    (469, "Полотенца", "Полотенце махровое", False),
    (1724, "Свечи ароматические", "Свеча ароматическая", False),
    (7771, "Наборы для творчества", "Набор для рисования", False),
]
MODELS = ["Классика", "Лайт", "Комфорт", "Премиум", "Basic", "Urban", "Soft", "Мечта"]
SIZES = [("S", "42"), ("M", "44"), ("L", "46"), ("XL", "48"), ("XXL", "50")]  # techSize, wbSize
BRANDS = ["Бест Трикотаж", "HomeLine", "Уютный дом", "NordStyle", "Эконом", "Zenfit", "Мир чашек"]
BRANDS.append("")  # a brand-less product
COLORS = ["черный", "белый", "бежевый", "синий", "красно-сиреневый", "зеленый", "colorless", ""]
NAMES = [
    "Анна", "Мария", "Екатерина", "Ольга", "Наталья", "Ирина", "Светлана", "Алёна", "Юлия",
    "Татьяна", "Дмитрий", "Алексей", "Сергей", "Николай", "Иван", "Артём", "Ксения", "Полина",
    "Виктория", "Елена", "Покупатель", "Гость",
]  # fmt: skip

POSITIVE = [
    "Отличный товар, всё как на фото 👍",
    "Качество супер, рекомендую!",
    "Спасибо, всё подошло 😊",
    "Заказываю уже второй раз, очень довольна ❤️",
    "Пришло быстро, упаковка целая, размер в размер.",
    "Цена/качество — 5 из 5 🔥",
    "Ткань приятная к телу, не линяет после стирки.",
    "Муж доволен, сидит отлично",
    "Хорошая вещь за свои деньги. Беру ещё!",
    "Подарила маме — она в восторге 🎁",
    "Цвет насыщенный, швы ровные, нитки не торчат.",
    "Всё супер!!!",
]
NEUTRAL = [
    "Нормально, но ожидала большего.",
    "В целом неплохо, но запах от упаковки сильный 😐",
    "Размер немного маломерит, берите на размер больше.",
    "Качество среднее, за такую цену пойдёт.",
    "Доставка долгая, товар обычный.",
]
NEGATIVE = [
    "Пришёл брак, шов разошёлся после первой стирки 😡",
    "Не соответствует описанию, цвет совсем другой.",
    "Ужас. Вернула. Не рекомендую!!!",
    "Ткань тонкая, просвечивает, за эти деньги — обман.",
    "Прислали не тот размер, продавец не отвечает в чате.",
    "Коробка мятая, внутри трещина 💔",
    "Полное разочарование, деньги на ветер",
]
SPECIAL = [
    'Написано "100% хлопок", а по факту синтетика <не верьте> & не берите',
    "Размер S > M?? Сели <b>маленькими</b>, верните деньги & извинитесь",
    "Оценка: 2 < 5, но \"лучше\" чем у конкурентов & 'дешевле'",
    "<script>alert('отзыв')</script> шутка, всё хорошо & спасибо",
    "Товар «как в описании» — нет! x < y & y > z 🤔",
    "Скидка -50% & доставка 1 день > ожиданий, «рекомендую»",
]
PROS = ["Цена", "Качество", "Удобный", "Быстрая доставка", "Красивый цвет", "Мягкий материал", ""]
CONS = ["Нет", "Маломерит", "Запах", "Тонкая ткань", "Долгая доставка", "Нет минусов 😊", ""]
ANSWERS = [
    "Спасибо за отзыв! Рады, что покупка понравилась ❤️",
    "Благодарим за выбор нашего магазина! Ждём вас снова.",
    "Здравствуйте! Очень жаль, что так вышло. Напишите нам в чат — поможем с заменой.",
    "Спасибо за обратную связь, передали замечание на производство.",
    "Пожалуйста. Ждём вас снова!",
]
QUESTIONS = [
    "Подскажите, какой размер выбрать на рост 170?",
    "Хороший карандаш? Когда еще поставите?",
    "Есть ли в наличии черный цвет?",
    "Это натуральный хлопок или смесовая ткань?",
    "Какая длина по спинке у размера M?",
    "Можно ли стирать в машинке при 40°?",
    "Подходит ли для посудомоечной машины? 🙏",
    'Почему в описании "100%", а на бирке другое <состав>?',
    "Когда будет поставка?",
]
Q_ANSWERS = [
    "Здравствуйте! Рекомендуем размер M.",
    "На следующей неделе",
    "Да, можно стирать при 40 градусах.",
    "Состав указан в карточке: 95% хлопок, 5% эластан.",
]
CHAT_CLIENT = [
    'Здравствуйте! У меня вопрос по товару "Альбом, бренд Эконом"',
    "Пришёл не тот цвет. Можно вернуть и заказать другой?",
    "Когда будет отправка?",
    "Товар с браком, что делать? 😢",
    "Спасибо, всё получила!",
    "Можно заказать 100 штук?",
    "Подскажите размер на рост 165 <см> & вес 55",
]
CHAT_SELLER = [
    "Здравствуйте. Да, сейчас оформим возврат.",
    "Добрый день! Отправка завтра.",
    "Пришлите, пожалуйста, фото брака — заменим.",
    "Рады помочь! Хорошего дня 😊",
]
CHAT_WB = [
    "Покупатель оформил возврат товара.",
    "Чат будет закрыт через 10 дней без новых сообщений.",
]
BABLES = [["цена"], ["качество"], ["цена", "качество"], ["доставка"], ["размер"], ["упаковка"]]


def _rid(rng: random.Random) -> str:
    return _rids(rng, 1)[0]


def _rids(rng: random.Random, count: int) -> list[str]:
    """`count` distinct 20-char ids: 15 random bytes are exactly 20 base64url characters."""
    blob = base64.urlsafe_b64encode(rng.randbytes(15 * count)).decode()
    ids = [blob[i : i + 20] for i in range(0, 20 * count, 20)]
    if len(set(ids)) != count:  # 120 random bits: practically never
        raise RuntimeError("id collision, use another seed")
    return ids


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _long_text(rng: random.Random) -> str:
    parts: list[str] = []
    size = 0
    while size < LONG_TEXT_LEN:
        part = rng.choice(POSITIVE + NEUTRAL + NEGATIVE) + " "
        parts.append(part)
        size += len(part)
    return "".join(parts)[:LONG_TEXT_LEN]


def _products(
    rng: random.Random, count: int, seller: Seller, start: int, now: int
) -> tuple[list[Card], list[Price], list[list[ProductDetails]]]:
    """Cards, their prices, and for each card the productDetails variants (one per size)."""
    cards: list[Card] = []
    prices: list[Price] = []
    details: list[list[ProductDetails]] = []
    used_nm: set[int] = set()
    imt = 0
    for i in range(count):
        nm = rng.randrange(10_000_000, 500_000_000)
        while nm in used_nm:
            nm = rng.randrange(10_000_000, 500_000_000)
        used_nm.add(nm)
        if i == 0 or rng.random() > 0.2:
            imt = rng.randrange(10_000_000, 400_000_000)  # else merged with the previous card
        subject_id, subject_name, noun, sized = rng.choice(SUBJECTS)
        brand = rng.choice(BRANDS)
        color = rng.choice(COLORS)
        vendor = f"{rng.choice(['DP', 'WB', 'HL', 'NS'])}{rng.randrange(10, 99)}/{color or 'base'}"
        title = f"{noun} «{rng.choice(MODELS)}»"
        size_pairs = SIZES if sized else [("0", "")]
        sizes = [
            CardSize(
                chrt_id=rng.randrange(100_000_000, 900_000_000),
                tech_size=tech,
                wb_size=wb,
                skus=[str(rng.randrange(2_000_000_000_000, 2_999_999_999_999))],
            )
            for tech, wb in size_pairs
        ]
        created_us = rng.randrange(start, now - DAY) * 1_000_000 + rng.randrange(1_000_000)
        updated_us = min(now * 1_000_000, created_us + rng.randrange(0, 400 * DAY) * 1_000_000)
        updated_us += i  # distinct cursor keys even for equal times
        photo_count = 0 if rng.random() < 0.1 else rng.randint(1, 8)
        characteristics = [
            {"id": 14177449, "name": "Цвет", "value": [color or "разноцветный"]},
            {"id": 14177450, "name": "Состав", "value": ["хлопок 95%", "эластан 5%"]},
        ]
        if rng.random() < 0.3:
            characteristics.append(
                {"id": 89008, "name": "Вес товара без упаковки (г)", "value": 250}
            )
        tags = (
            [{"id": 592569, "name": "Популярный", "color": "D1CFD7"}] if rng.random() < 0.2 else []
        )
        card = Card(
            nm_id=nm,
            imt_id=imt,
            vendor_code=vendor,
            title=title,
            brand=brand,
            subject_id=subject_id,
            subject_name=subject_name,
            created_us=created_us,
            updated_us=updated_us,
            sizes=sizes,
            nm_uuid=_uuid(rng),
            description=f"{title}. Отличный выбор на каждый день.",
            photo_count=photo_count,
            characteristics=characteristics,
            tags=tags,
            need_kiz=sized and rng.random() < 0.3,
        )
        cards.append(card)
        prices.append(
            Price(
                nm_id=nm,
                vendor_code=vendor,
                sizes=[PriceSize(s.chrt_id, rng.randrange(299, 9999), s.tech_size) for s in sizes],
                discount=rng.choice([0, 10, 15, 30, 50, 70]),
                club_discount=rng.choice([0, 0, 3, 5]),
                editable_size_price=sized,
                is_bad_turnover=rng.random() < 0.05,
            )
        )
        article: str | None = vendor if rng.random() > 0.1 else None
        details.append(
            [
                ProductDetails(nm, imt, title, article, seller.name, brand or None, s.tech_size)
                for s in sizes
            ]
        )
    if count >= 3:  # at least one product with a null supplierArticle
        first = details[0]
        details[0] = [
            ProductDetails(
                d.nm_id, d.imt_id, d.product_name, None, d.supplier_name, d.brand_name, d.size
            )
            for d in first
        ]
    return cards, prices, details


def _ghost_products(rng: random.Random, count: int, seller: Seller) -> list[list[ProductDetails]]:
    """Products that reviews mention but the seller has no card for (deleted or foreign)."""
    return [
        [
            ProductDetails(
                rng.randrange(500_000_000, 600_000_000),
                rng.randrange(400_000_000, 500_000_000),
                "Снятый с продажи товар",
                None if rng.random() < 0.5 else f"OLD-{rng.randrange(1000)}",
                seller.name,
                None,
                "0",
            )
        ]
        for _ in range(count)
    ]


def _feedbacks(
    rng: random.Random,
    count: int,
    products: list[list[ProductDetails]],
    ghosts: list[list[ProductDetails]],
    subjects: dict[int, tuple[int, str, str]],
    start: int,
    now: int,
) -> list[Feedback]:
    if count <= 0:
        return []
    span = now - start
    # batched draws: one call per field instead of one per review
    u_age = [rng.random() for _ in range(count)]
    u_kind = [rng.random() for _ in range(count)]
    u_ans = [rng.random() for _ in range(count)]
    u_misc = [rng.random() for _ in range(count)]
    ratings = rng.choices([5, 4, 3, 2, 1], weights=[70, 12, 6, 4, 8], k=count)
    names = rng.choices(NAMES, k=count)
    pros = rng.choices(PROS, k=count)
    cons = rng.choices(CONS, k=count)
    answers = rng.choices(ANSWERS, k=count)
    pos = rng.choices(POSITIVE, k=count)
    neu = rng.choices(NEUTRAL, k=count)
    neg = rng.choices(NEGATIVE, k=count)
    special = rng.choices(SPECIAL, k=count)
    prod_idx = rng.choices(range(len(products)), k=count) if products else []
    ids = _rids(rng, count)
    long_every = max(1, count // 3) if count >= 100 else 0  # 3 long texts per shop
    out: list[Feedback] = []
    append = out.append
    for i in range(count):
        fid = ids[i]
        age = int(span * u_age[i] ** 1.5)
        created = now - age
        if ghosts and (i % 97 == 50 or not products):
            variants = ghosts[i % len(ghosts)]
        else:
            variants = products[prod_idx[i]]
        product = variants[i % len(variants)]
        subject_id, subject_name, color = subjects.get(product.nm_id, (0, "", ""))
        rating = ratings[i]
        kind = u_kind[i]
        text, p, c = "", pros[i], cons[i]
        photos: list[tuple[str, str]] | None = None
        if long_every and i % long_every == 7:
            text = _long_text(rng)
        elif kind < 0.08:  # empty, no photos: archived at once
            p = c = ""
        elif kind < 0.20:  # photos only
            p = c = ""
            photos = _photo_links(fid, 1 + i % 4)
        else:
            if kind < 0.23 or i % 1000 == 3:
                text = special[i]
            elif rating >= 4:
                text = pos[i]
            elif rating == 3:
                text = neu[i]
            else:
                text = neg[i]
            if kind > 0.80:
                photos = _photo_links(fid, 1 + i % 5)
        misc = u_misc[i]
        answer = None
        answered_p = 0.4 if age < 30 * DAY else 0.85
        if text or photos:
            if u_ans[i] < answered_p:
                answer = FeedbackAnswer(answers[i], created + 3600 + int(misc * 5 * DAY))
        elif u_ans[i] < 0.1:
            answer = FeedbackAnswer(answers[i], created + 7200)
        if answer is not None and answer.created > now:
            answer.created = now
        append(
            Feedback(
                fid,
                text,
                created,
                product,
                rating,
                p if text or photos else "",
                c if text or photos else "",
                answer,
                photos,
                _video(fid) if misc < 0.01 else None,
                answer is not None or misc > 0.3,
                names[i],
                "buyout" if misc < 0.9 else ("returned", "rejected", "notSpecified")[i % 3],
                ("ok", "smaller", "bigger", "ok")[i % 4] if product.size != "0" else "",
                rating <= 3 and misc > 0.05,
                (1 + i % 7) if rating <= 2 and misc < 0.05 else 0,
                rating <= 3,
                0,
                misc > 0.97,
                None,
                BABLES[i % len(BABLES)] if misc > 0.9 else None,
                10_000_000_000 + i,
                created - 3 * DAY - int(misc * 10 * DAY),
                color,
                subject_id,
                subject_name,
            )
        )
    # a few supplemented reviews: the newer one points back at the original
    for j in range(min(5, count // 50)):
        original, child = out[j * 7], out[j * 7 + 3]
        if original.created > child.created:
            original, child = child, original
        original.child_id = child.id
        child.parent_id = original.id
    return out


def _photo_links(fid: str, n: int) -> list[tuple[str, str]]:
    return [
        (
            f"https://feedback04.wbbasket.ru/vol{1300 + k}/part{130000 + k}/{fid}/photos/fs.webp",
            f"https://feedback04.wbbasket.ru/vol{1300 + k}/part{130000 + k}/{fid}/photos/ms.webp",
        )
        for k in range(n)
    ]


def _video(fid: str) -> dict[str, object]:
    base = f"https://videofeedback01.wbbasket.ru/{fid}"
    return {"previewImage": f"{base}/preview.webp", "link": f"{base}/index.m3u8", "durationSec": 10}


def _questions(
    rng: random.Random, count: int, products: list[list[ProductDetails]], start: int, now: int
) -> list[Question]:
    out: list[Question] = []
    if not products:
        return out
    span = now - start
    for _ in range(count):
        age = int(span * rng.random() ** 2)
        created_ns = (now - age) * 1_000_000_000 + rng.randrange(1_000_000_000)
        product = products[rng.randrange(len(products))][0]
        roll = rng.random()
        state = QUESTION_NEW
        answer = None
        if roll < 0.7 and age > DAY:
            state = "wbRu"
        elif roll < 0.75 and age > DAY:
            state = "none"
        if state != QUESTION_NEW:
            answer_ns = min(now * 1_000_000_000, created_ns + rng.randrange(1, 3 * DAY) * 10**9)
            answer = QuestionAnswer(rng.choice(Q_ANSWERS), answer_ns)
        out.append(
            Question(
                _rid(rng),
                rng.choice(QUESTIONS),
                created_ns,
                product,
                state,
                answer,
                state != QUESTION_NEW or rng.random() < 0.3,
                rng.random() < 0.02,
            )
        )
    return out


def _chats(
    rng: random.Random,
    count: int,
    cards: list[Card],
    prices: dict[int, Price],
    start: int,
    now: int,
) -> tuple[list[Chat], list[ChatEvent]]:
    chats: list[Chat] = []
    events: list[ChatEvent] = []
    used_ts: set[int] = set()

    def stamp(ms: int) -> int:
        while ms in used_ts:
            ms += 1
        used_ts.add(ms)
        return ms

    chat_start = max(start, now - 120 * DAY)
    for i in range(count):
        chat_uuid = _uuid(rng)
        chat_id = f"1:{chat_uuid}"
        sign = f"{chat_id}:{rng.randrange(10**7, 10**8)}:{rng.getrandbits(512):0128x}"
        name = rng.choice(NAMES[:-2])
        card = cards[rng.randrange(len(cards))] if cards else None
        good = None
        if card is not None:
            price = prices.get(card.nm_id)
            amount = price.sizes[0].price if price and price.sizes else 990
            good = GoodCard(
                card.nm_id, amount, f"{rng.getrandbits(128):032x}", card.sizes[0].wb_size or "0"
            )
        chat = Chat(chat_id, sign, name, good)
        chats.append(chat)
        ts = rng.randrange(chat_start, now - 3600) * 1000 + rng.randrange(1000)
        first_text = rng.choice(CHAT_CLIENT)
        files: list[Attachment] = []
        if i % 5 == 1:
            files.append(Attachment(_uuid(rng), "Чек.pdf", "application/pdf", ts, moderation="ok"))
        events.append(
            ChatEvent(
                chat_id,
                _uuid(rng),
                stamp(ts),
                "client",
                rng.choice(["rusite", "ios", "android", "global"]),
                first_text,
                True,
                sign,
                name,
                good,
                files,
            )
        )
        for _ in range(rng.randrange(0, 7)):
            ts += rng.randrange(60, 2 * DAY) * 1000
            if ts >= now * 1000:
                break
            roll = rng.random()
            if roll < 0.45:
                images = []
                if roll < 0.08:
                    images.append(Attachment(_uuid(rng), "photo.jpg", "image/jpeg", ts))
                events.append(
                    ChatEvent(
                        chat_id, _uuid(rng), stamp(ts), "client", "rusite",
                        rng.choice(CHAT_CLIENT) if roll > 0.03 else None,
                        client_name=name, images=images,
                    )
                )  # fmt: skip
            elif roll < 0.85:
                source = "seller-portal" if roll < 0.7 else "seller-public-api"
                events.append(
                    ChatEvent(
                        chat_id, _uuid(rng), stamp(ts), "seller", source, rng.choice(CHAT_SELLER)
                    )
                )
            elif roll < 0.95:
                events.append(
                    ChatEvent(chat_id, _uuid(rng), stamp(ts), "wb", "rusite", rng.choice(CHAT_WB))
                )
            else:  # an event with no message at all (as in WB's own example)
                events.append(ChatEvent(chat_id, _uuid(rng), stamp(ts), "seller"))
    return chats, events


def generate_shop(
    seed: int,
    *,
    reviews: int = 1000,
    products: int = 50,
    questions: int = 200,
    chats: int = 30,
    now: datetime | None = None,
    sid: str | None = None,
) -> SellerState:
    """A whole seller: cards, prices, reviews, questions, chats (see the module docstring)."""
    rng = random.Random(seed)
    now_dt = now or datetime.now(UTC)
    now_ts = int(now_dt.timestamp())
    start = int(min(now_dt - timedelta(days=3 * 365), EARLY_DATE).timestamp())
    seller = Seller(
        sid=sid or _uuid(rng),
        name=rng.choice(["ИП Кружинин В. Р.", "ООО «Уютный дом»", "ИП Смирнова Е. А."]),
        trade_mark=rng.choice(["Flax Store", "Уютный дом", "Мир чашек"]),
        tin=str(rng.randrange(10**11, 10**12)),
    )
    state = SellerState(seller)
    cards, prices, details = _products(rng, products, seller, start, now_ts)
    ghosts = _ghost_products(rng, max(1, products // 20), seller)
    subjects = {
        c.nm_id: (c.subject_id, c.subject_name, c.characteristics[0]["value"][0]) for c in cards
    }
    state.add_cards(cards)
    for price in prices:
        state.set_price(price)
    state.add_feedbacks(_feedbacks(rng, reviews, details, ghosts, subjects, start, now_ts))
    state.add_questions(_questions(rng, questions, details or ghosts, start, now_ts))
    chat_list, events = _chats(rng, chats, cards, state.prices, start, now_ts)
    for chat in chat_list:
        state.add_chat(chat)
    state.add_events(events)
    if events:  # one attachment waiting for moderation, one blocked (202 and 451)
        with_files = [a for e in events for a in (*e.files, *e.images)]
        if len(with_files) >= 3:
            with_files[-1].moderation = "blocked"
            with_files[-2].moderation = "pending"
    return state
