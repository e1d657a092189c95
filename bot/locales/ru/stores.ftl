# Магазины: список, карточка, добавление, токен, синхронизация, менеджеры.
stores-title = <b>🏪 Магазины</b>
stores-empty = <b>🏪 Магазины</b>
    Магазинов пока нет. Добавьте первый: понадобится название и токен WB API.
stores-count = { $count ->
    [one] { $count } магазин
    [few] { $count } магазина
   *[many] { $count } магазинов
}
stores-legend = 👑 — ваш магазин, 👤 — вас пригласили менеджером, ⏸ — на паузе.
stores-btn-add = ➕ Добавить магазин
stores-btn-list = « К магазинам
stores-btn-card = « К магазину
stores-btn-sync = 🔄 Синхронизировать
stores-btn-rename = ✏️ Переименовать
stores-btn-token = 🔑 Заменить токен
stores-btn-pause = ⏸ Пауза
stores-btn-resume = ▶️ Возобновить
stores-btn-managers = 👥 Менеджеры
stores-btn-delete = 🗑 Удалить
stores-btn-delete-yes = Да, удалить
stores-btn-delete-no = Нет, оставить
stores-btn-invite = ➕ Пригласить менеджера
stores-btn-open = 🏪 Открыть магазин
stores-unavailable = Магазин не найден или у вас нет к нему доступа.
stores-owner-only = Это может сделать только владелец магазина.
stores-card = 🏪 <b>{ $name }</b>
    { $status }
    Ваша роль: { $role }
    { $reviews } · { $chats }

    <b>Синхронизация</b>
    { $sync }
stores-status-active = ✅ Работает
stores-status-paused = ⏸ На паузе: синхронизация и задания остановлены
stores-role-owner = владелец
stores-role-manager = менеджер
stores-reviews = { $count ->
    [one] { $count } отзыв
    [few] { $count } отзыва
   *[many] { $count } отзывов
}
stores-chats = { $count ->
    [one] { $count } чат
    [few] { $count } чата
   *[many] { $count } чатов
}
stores-kind-products = Товары
stores-kind-reviews = Отзывы
stores-kind-questions = Вопросы
stores-kind-chats = Чаты
stores-sync-line-never = { $kind }: ещё не было
stores-sync-line-pending = { $kind }: ⏳ идёт с { $date }
stores-sync-line-success = { $kind }: ✅ { $date }
stores-sync-line-error = { $kind }: ❌ { $date } — { $error }
stores-sync-line-interrupted = { $kind }: ⚠️ прервана (начата { $date }), продолжится со следующей синхронизацией
# Добавление
stores-ask-name = Как назвать магазин? Пришлите название (его видите только вы и ваши менеджеры).
    /cancel — отменить.
stores-bad-name = Название не может быть пустым. Пришлите название магазина.
stores-ask-token = Теперь пришлите токен WB API для «{ $name }».
    Создайте его на портале продавца: Настройки → Доступ к API. Нужен <b>персональный</b> токен с категориями { $categories }, не «только на чтение».
    Сообщение с токеном я сразу удалю из чата.
stores-checking = 🔎 Проверяю токен…
stores-token-bad = ❌ Токен не подошёл, ничего не сохранено.
    { $problems }
    Пришлите другой токен или /cancel.
stores-added = ✅ Магазин «{ $name }» добавлен.
    { $info }
    Загрузить отзывы, вопросы, чаты и товары сейчас?
stores-token-replaced = ✅ Токен магазина «{ $name }» заменён.
    { $info }
stores-ask-new-token = Пришлите новый токен WB API для «{ $name }». Сообщение с токеном я сразу удалю.
    /cancel — отменить.
stores-token-info = Токен: { $type }; категории: { $categories }; действует до { $expires }.
stores-token-info-noexp = Токен: { $type }; категории: { $categories }; срок не указан.
stores-type-base = базовый
stores-type-test = тестовый
stores-type-personal = персональный
stores-type-service = сервисный
stores-cat-feedbacks = отзывы и вопросы
stores-cat-chat = чат
stores-cat-content = контент
stores-cat-none = нет нужных
stores-warnings = ⚠️ Обратите внимание:
# Проблемы токена (то, из-за чего он не сохранён)
stores-problem-malformed = Это не токен WB API (нужен JWT из портала продавца: три части через точку).
stores-problem-expired = Срок действия токена истёк: создайте новый на портале продавца.
stores-problem-read_only = Токен только для чтения: боту нужно отвечать, создайте токен с правом записи.
stores-problem-test_token = Это тестовый токен песочницы: нужен персональный токен.
stores-problem-no_feedbacks_category = У токена нет категории «Вопросы и отзывы»: без неё бот не видит отзывы.
stores-problem-rejected_by_wb = WB отклонил токен.
stores-problem-wb_unreachable = WB сейчас недоступен: попробуйте ещё раз через несколько минут.
stores-problem-seller_taken = Этот кабинет продавца WB уже добавлен другим пользователем: попросите у него приглашение менеджером.
stores-problem-seller_added = Вы уже добавили этот кабинет продавца WB.
stores-problem-other_seller = Новый токен от другого кабинета продавца WB: для этого магазина нужен токен того же кабинета.
stores-problem-other = Токен не подходит ({ $code }).
stores-problem-detail = Ответ WB: { $detail }
# Предупреждения (токен сохранён)
stores-warn-base_token_limits = Базовый токен: WB разрешает ему всего 5 запросов в час, синхронизация будет очень медленной. Создайте персональный токен и замените его здесь.
stores-warn-expires_soon = Токен истекает меньше чем через 14 дней: заранее создайте новый.
stores-warn-no_chat_category = Нет категории «Чат с покупателями»: чаты не будут загружаться.
stores-warn-no_content_category = Нет категории «Контент»: карточки товаров не будут загружаться.
stores-warn-no_expiry = В токене не указан срок действия.
stores-warn-legacy_token = Токен старого образца: лучше создать новый.
# Переименование, пауза, удаление
stores-ask-rename = Новое название для «{ $name }»? /cancel — отменить.
stores-renamed = ✏️ Магазин переименован.
stores-paused = ⏸ Магазин на паузе.
stores-resumed = ▶️ Магазин снова работает.
stores-delete-confirm = 🗑 Удалить магазин «{ $name }»?
    Вместе с ним удалятся его отзывы, жалобы, вопросы, чаты и товары в боте. На WB ничего не изменится. Это нельзя отменить.
stores-deleted = 🗑 Магазин «{ $name }» удалён.
# Синхронизация
stores-sync-started = Синхронизация запущена.
stores-sync-busy = Синхронизация этого магазина уже идёт.
stores-sync-paused = Магазин на паузе: возобновите его, чтобы синхронизировать.
stores-sync-progress = 🔄 Синхронизация «{ $name }»…
stores-sync-progress-what = { $what }: { $count }
stores-progress-products = товары
stores-progress-reviews = отзывы
stores-progress-questions = вопросы
stores-progress-chat-events = события чатов
stores-sync-done = <b>Синхронизация «{ $name }» завершена</b>
stores-sync-failed = ❌ Синхронизация «{ $name }» прервалась из-за внутренней ошибки. Попробуйте позже.
stores-sync-ok = ✅ { $kind }: получено { $fetched }, новых { $new }, изменено { $changed }
stores-sync-err = ❌ { $kind }: { $error }
stores-sync-skip = ⏭ { $kind }: { $reason }
stores-skip-running = уже идёт (запущена раньше)
stores-skip-paused = магазин на паузе
stores-skip-gone = магазин удалён
stores-skip-refused = токен отклонён WB, замените его: { $reason }
stores-err-token-expired = срок токена истёк, замените токен
stores-err-token-malformed = токен повреждён, замените токен
stores-err-read-only = токен только для чтения, замените токен
stores-err-test-token = тестовый токен работает только в песочнице
stores-err-no-category = у токена нет категории «{ $category }»
stores-err-scope = токену не хватает прав
stores-err-other = ошибка WB: { $error }
stores-err-token-unreadable = сохранённый токен не читается текущим ключом SECRET_KEY: замените токен или верните прежний ключ
stores-token-unreadable = 🔐 <b>Токен не читается.</b> Сохранённый токен нельзя расшифровать текущим ключом SECRET_KEY: владелец заменяет токен в карточке, или администратор возвращает прежний ключ. Пока синхронизация и публикация не работают.
stores-err-internal = внутренняя ошибка, подробности в журнале бота; остальные разделы синхронизированы
stores-err-taken-over = прервана: синхронизацию продолжил другой процесс
stores-sync-set-aside = ⚠️ { $kind }: не удалось сохранить записей: { $count } (причины в журнале), остальные сохранены
# Менеджеры
stores-managers = <b>👥 Менеджеры «{ $name }»</b>
    { $list }
    Менеджеры видят магазин, получают уведомления о негативных отзывах и работают с ними; токен и состав команды меняет только владелец.
stores-managers-none = Менеджеров пока нет.
stores-manager-removed = Менеджер удалён.
stores-manager-gone = Этого менеджера уже нет в магазине.
stores-invite = 🔗 Приглашение менеджера в «{ $name }»:
    { $link }
    Ссылка одноразовая и действует 7 дней. Перешлите её сотруднику: он откроет бота, и после одобрения станет менеджером магазина.
stores-stray-token = 🔒 Похоже, это токен WB API: я удалил сообщение, чтобы он не остался в чате. Чтобы добавить магазин или заменить токен, откройте «Магазины».
stores-token-not-deleted = ⚠️ Похоже, это токен WB API, и удалить сообщение я не смог. Удалите его сами и замените токен в личном кабинете WB: его могли увидеть.
stores-token-caption = 🔒 Токен пришёл подписью к фото или файлу: я удалил это сообщение, чтобы токен не остался в чате, и не проверял его. Пришлите токен обычным текстовым сообщением.
stores-http = WB ответил HTTP { $status }: { $reason }.
stores-http-401 = токен не принят (неверный, отозван или истёк)
stores-http-403 = доступ запрещён: у токена нет нужной категории или прав
stores-http-404 = WB не нашёл адрес запроса
stores-http-429 = слишком много запросов, WB просит подождать
stores-http-5xx = сбой на стороне WB, попробуйте позже
stores-http-other = WB не принял запрос
stores-portal-cat-feedbacks = «Вопросы и отзывы»
stores-portal-cat-chat = «Чат с покупателями»
stores-portal-cat-content = «Контент»
