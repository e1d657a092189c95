# Отзывы: список, фильтры, карточка, ответы.
rv-no-stores = У вас пока нет магазинов. Добавьте магазин в разделе «Магазины».
rv-pick-store = Выберите магазин:
rv-store-paused = ⏸ { $name }
rv-unavailable = Эта карточка недоступна: её удалили или у вас нет к ней доступа.
rv-page = стр. { $page } из { $pages }
rv-btn-list = « К списку
cq-btn-list = « К очереди
rv-list-title = ⭐ <b>Отзывы</b> · { $store }
rv-list-filter = 🔎 { $filter }
rv-list-found = { $count ->
    [0] Ничего не найдено.
    [one] Найден { $count } отзыв.
    [few] Найдено { $count } отзыва.
   *[other] Найдено { $count } отзывов.
}
rv-list-empty = По этому фильтру отзывов нет. Измените фильтр.
rv-btn-filter = 🔎 Фильтр
rv-btn-product = 📦 Товар
rv-btn-reset = ↺ По умолчанию
rv-filter-title = <b>Фильтр</b>
    Сейчас: { $filter }
    Нажмите вариант — список обновится.
rv-filter-product = Выберите товар (в скобках — число отзывов на 1–3 ★):
rv-f-r-le3 = ★ ≤ 3
rv-f-r-1 = 1 ★
rv-f-r-2 = 2 ★
rv-f-r-3 = 3 ★
rv-f-r-4 = 4 ★
rv-f-r-5 = 5 ★
rv-f-r-all = ★ все
rv-f-a-any = ответ: все
rv-f-a-no = без ответа
rv-f-a-yes = с ответом
rv-f-c-open = жалоба: нет или черновик
rv-f-c-not_sent = без жалобы
rv-f-c-draft = черновик
rv-f-c-sent = подана
rv-f-c-approved = одобрена
rv-f-c-rejected = отклонена
rv-f-c-all = жалоба: все
rv-f-d-0 = за всё время
rv-f-d-7 = 7 дней
rv-f-d-30 = 30 дней
rv-f-d-90 = 90 дней
rv-f-act-on = активные товары
rv-f-act-off = все товары
rv-f-p-all = Все товары
rv-card-product = 📦 <b>{ $name }</b> · арт. { $article } · WB { $nm }
rv-card-author = 👤 { $author }
rv-card-text = Текст
rv-card-pros = Достоинства
rv-card-cons = Недостатки
rv-card-answer = 💬 Ответ продавца
rv-card-draft = ✍️ Черновик ответа
rv-card-no-text = <i>Только оценка, без текста.</i>
rv-answered = 💬 есть ответ
rv-not-answered = без ответа
rv-complaint = жалоба: { $status }
rv-wb-visible = виден на WB
rv-wb-unpublished = снят с публикации
rv-wb-excluded = исключён из рейтинга
rv-photos = { $count ->
    [one] 📷 { $count } фото
    [few] 📷 { $count } фото
   *[other] 📷 { $count } фото
}
rv-video = 🎬 видео
rv-draft-problems = ⚠️ <b>Черновик нарушает правила, публиковать нельзя:</b>
rv-draft-fix = Исправьте текст («Изменить») или попросите новый вариант.
rv-btn-draft = ✍️ Ответ (ИИ)
rv-btn-write = ✏️ Написать ответ
rv-btn-publish = ✅ Опубликовать на WB
rv-btn-publish-again = ↻ Проверил(а) на WB — отправить снова
rv-btn-edit = ✏️ Изменить
rv-btn-regen = 🔄 Новый вариант
rv-btn-complaint = ⚠️ Составить жалобу
rv-btn-complaint-open = 📝 Жалоба: { $status }
rv-busy = Уже выполняется, подождите…
rv-drafting = Составляю ответ…
rv-publishing = Публикую ответ…
rv-published = ✅ Ответ опубликован на WB.
rv-ai-failed = ⚠️ ИИ сейчас недоступен. Попробуйте ещё раз через минуту.
rv-edit-prompt = Отправьте текст ответа одним сообщением (от 2 до 5000 символов). /cancel — отмена.
rv-edit-current = Текущий черновик:
rv-edit-saved = ✏️ Черновик ответа сохранён.
rv-edit-guard = ⚠️ Текст сохранён, но нарушает правила WB: исправьте его перед публикацией.
rv-err-not_found = Отзыв не найден.
rv-err-already_answered = На этот отзыв уже есть ответ.
rv-err-empty = Ответ пустой или короче 2 символов.
rv-err-too_long = Ответ длиннее 5000 символов: WB его не примет.
rv-err-guard = ⚠️ Текст нарушает правила WB и не опубликован. Исправьте его.
rv-err-auth = ⚠️ WB отклонил токен магазина ({ $detail }). Замените токен в разделе «Магазины». Ответ сохранён как черновик.
rv-err-outcome_unknown = ⚠️ WB не подтвердил публикацию: ответ мог дойти. Проверьте отзыв на портале WB, прежде чем отправлять снова. Ответ сохранён как черновик.
rv-err-rate_limited = ⚠️ WB просит подождать (лимит запросов). Попробуйте через минуту. Ответ сохранён как черновик.
rv-err-wb_refused = ⚠️ WB отказал: { $detail }. Ответ сохранён как черновик.
rv-err-wb_unavailable = ⚠️ WB сейчас недоступен. Попробуйте позже. Ответ сохранён как черновик.
