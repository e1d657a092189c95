# Общие тексты и главное меню.
menu-title = <b>WB Репутация</b>
    Отзывы, жалобы и чаты ваших магазинов Wildberries.
menu-stores = 🏪 Магазины
menu-reviews = ⭐ Отзывы
menu-complaints = 📝 Жалобы
menu-products = 📦 Товары
menu-settings = ⚙️ Настройки
menu-help = ❓ Помощь
btn-back = « Назад
btn-menu = « Меню
btn-next = Далее »
btn-prev = « Назад
btn-cancel = Отмена
btn-yes = Да
btn-no = Нет
help-text = <b>Как это работает</b>
    1. Добавьте магазин: название и токен WB API (персональный, с категориями «Вопросы и отзывы» и «Чат с покупателями»).
    2. Бот загрузит отзывы и пришлёт новые негативные сразу.
    3. Составьте жалобу в два нажатия, вставьте текст на портале WB и отметьте «Подал(а) в WB».
    Команды: /start — меню, /cancel — отменить ввод.
error-generic = Что-то пошло не так. Попробуйте ещё раз.
error-forbidden = Нет доступа к этому объекту.
error-stale = Эта кнопка устарела: экран обновлён.
cancelled = Отменено.
nothing-to-cancel = Нечего отменять.
cmd-start = Главное меню
cmd-cancel = Отменить ввод
cmd-help = Помощь
cmd-settings = Настройки: язык, оповещения
cmd-users = Пользователи (админ)
cmd-pending = Ожидают одобрения (админ)
access-start-first = Нажмите /start, чтобы зарегистрироваться.
access-not-approved = Ваша заявка ждёт одобрения администратора.
unknown-input = Не понимаю. Откройте меню: /start
