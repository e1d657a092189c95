# Жалобы: очередь, карточка, пакетное составление.
cp-pick-store = Выберите магазин:
cp-status-not_sent = нет
cp-status-draft = черновик
cp-status-sent = подана
cp-status-pending = на проверке
cp-status-approved = одобрена
cp-status-rejected = отклонена
cp-mark-draft = 📝
cp-mark-sent = 📨
cp-mark-pending = ⏳
cp-mark-approved = ✅
cp-mark-rejected = ❌
cp-queue-title = 📝 <b>Жалобы</b> · { $store }
cp-queue-count-draft = { $count ->
    [0] Черновиков нет.
    [one] { $count } черновик ждёт подачи в WB.
    [few] { $count } черновика ждут подачи в WB.
   *[other] { $count } черновиков ждут подачи в WB.
}
cp-queue-count-sent = { $count ->
    [0] Поданных без решения нет.
    [one] { $count } жалоба подана, решение WB не отмечено.
    [few] { $count } жалобы поданы, решение WB не отмечено.
   *[other] { $count } жалоб подано, решение WB не отмечено.
}
cp-queue-count-done = { $count ->
    [0] Решённых жалоб нет.
    [one] { $count } жалоба с решением WB.
    [few] { $count } жалобы с решением WB.
   *[other] { $count } жалоб с решением WB.
}
cp-queue-empty-draft = Составьте жалобу из карточки отзыва или кнопкой ниже — для всех подходящих отзывов.
cp-queue-empty-sent = Здесь появятся поданные жалобы: отметьте, одобрил ли их WB.
cp-queue-empty-done = Здесь будут жалобы с решением WB.
cp-tab-draft = Черновики
cp-tab-sent = Поданные
cp-tab-done = Решённые
cp-btn-batch = 🤖 Жалобы на все подходящие отзывы
cp-btn-batch-go = ✅ Да, составить
cp-card-title = 📝 <b>Жалоба</b> · { $status }
cp-card-reason = Причина: <b>{ $reason }</b>
cp-card-find = 🔎 <b>Найти отзыв на портале WB:</b>
cp-card-product = 📦 { $name } · арт. { $article } · WB { $nm }
cp-card-review = { $stars } · { $date } · 👤 { $author }
cp-card-sent = 📨 Подана: { $date }
cp-card-regenerated = { $count ->
    [one] 🔄 Перегенерирована { $count } раз
    [few] 🔄 Перегенерирована { $count } раза
   *[other] 🔄 Перегенерирована { $count } раз
}
cp-card-howto = Скопируйте текст (нажмите на блок), подайте жалобу на портале WB и нажмите «Подал(а) в WB».
cp-btn-sent = ✅ Подал(а) в WB
cp-btn-regen = 🔄 Заново
cp-btn-edit = ✏️ Изменить
cp-btn-reason = 🏷 Причина
cp-btn-discard = 🗑 Удалить черновик
cp-btn-approved = 👍 Одобрена
cp-btn-rejected = 👎 Отклонена
cp-btn-pending = ⏳ На проверке
cp-btn-review = ⭐ Отзыв
cp-drafting = Составляю жалобу…
cp-drafted = ✅ Черновик жалобы готов.
cp-regenerated = 🔄 Новый вариант готов.
cp-edited = ✏️ Текст жалобы сохранён.
cp-discarded = 🗑 Черновик жалобы удалён.
cp-marked-sent = 📨 Отмечено: жалоба подана в WB.
cp-marked-approved = 👍 Отмечено: WB одобрил жалобу.
cp-marked-rejected = 👎 Отмечено: WB отклонил жалобу.
cp-marked-pending = ⏳ Отмечено: жалоба на проверке.
cp-state-changed = ℹ️ Жалоба уже в этом состоянии — вот она сейчас.
cp-ai-failed = ⚠️ ИИ сейчас недоступен, жалоба не составлена. Попробуйте через минуту.
cp-pick-reason = Выберите причину жалобы (категорию на портале WB):
cp-edit-prompt = Отправьте новый текст жалобы одним сообщением (до 1000 символов). /cancel — отмена.
    Сейчас:
cp-gate-store_paused = ⛔ Жалобу не составить: магазин на паузе.
cp-gate-rating = ⛔ Жалобу не составить: на отзывы с 5 ★ жалобы не подают.
cp-gate-too_old = ⛔ Жалобу не составить: WB принимает жалобы только на отзывы с 1 октября 2023 года.
cp-gate-wb_status = ⛔ Жалобу не составить: отзыв снят с публикации или исключён из рейтинга.
cp-gate-vanished = ⛔ Жалобу не составить: отзыв исчез с WB.
cp-gate-complaint_exists = ⛔ На этот отзыв жалоба уже есть: WB принимает одну жалобу на отзыв.
cp-gate-review_not_found = ⛔ Отзыв не найден.
cp-err-complaint_not_found = Жалоба не найдена.
cp-err-empty_text = Текст пустой. Отправьте текст жалобы или /cancel.
cp-err-too_long = Текст длиннее 1000 символов — WB его не примет. Сократите и отправьте снова или /cancel.
cp-err-bad_reason = Такой причины нет.
cp-err-bad_outcome = Такого решения нет.
cp-err-review_not_found = Отзыв не найден.
cp-batch-none = Подходящих отзывов нет: все уже с жалобами, или правила товаров их не разрешают (раздел товаров: «подавать жалобы» и оценки).
cp-batch-ask = { $count ->
    [one] Жалоба будет составлена на { $count } отзыв.
    [few] Жалобы будут составлены на { $count } отзыва.
   *[other] Жалобы будут составлены на { $count } отзывов.
}
    Примерная стоимость ИИ: до ${ $cost }. Отзывы без текста получат шаблон бесплатно.
    Составить?
cp-batch-started = Начинаю…
cp-batch-running = Жалобы для этого магазина уже составляются.
cp-batch-progress = 🤖 Составляю жалобы: { $done } из { $total }…
cp-batch-failed = ⚠️ Составление прервалось. Готовые черновики сохранены; запустите ещё раз.
cp-batch-done = ✅ Готово. { $drafted ->
    [one] Составлен { $drafted } черновик
    [few] Составлено { $drafted } черновика
   *[other] Составлено { $drafted } черновиков
} (шаблонов: { $templates }), ошибок: { $failed }. Стоимость ИИ: ${ $cost }.
    Черновики — во вкладке «Черновики».
cp-err-in_progress = Жалобу на этот отзыв уже составляют — подождите пару секунд.
cp-gate-in_progress = ⏳ Жалобу на этот отзыв уже составляют — подождите пару секунд.
cp-err-text_changed = ⚠️ <b>Не отмечено:</b> жалоба изменилась после того, как карточка была показана (новый вариант, правка или другая причина). Карточка обновлена: проверьте текст, подайте его в WB и нажмите «Подал(а) в WB» снова.
cp-text-changed-alert = Жалоба изменилась после того, как карточка была показана, поэтому ничего не отмечено. Карточка обновлена: проверьте её.
cp-text-recheck = ⚠️ <b>Не отмечено:</b> эта кнопка из старой карточки. Карточка обновлена: проверьте текст жалобы и нажмите «Подал(а) в WB» снова.
cp-text-recheck-alert = Эта кнопка из старой карточки, поэтому ничего не отмечено. Карточка обновлена: проверьте её.
