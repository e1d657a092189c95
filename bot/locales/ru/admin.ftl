# Администратор: заявки на доступ и пользователи.
adm-card = 🆕 <b>Новая регистрация</b>
    Email: { $email }
    Telegram: { $username }
    Имя: { $name }
    Telegram ID: <code>{ $tg }</code>
adm-none = —
adm-someone = администратор
adm-btn-approve = ✅ Одобрить
adm-btn-reject = ⛔ Отклонить
adm-decided-approved = ✅ Одобрено: { $admin }, { $date }
adm-decided-rejected = ⛔ Отклонено: { $admin }, { $date }
adm-answer-approved = Одобрено
adm-answer-rejected = Отклонено
adm-already-approved = Уже одобрено: { $admin }
adm-already-rejected = Уже отклонено: { $admin }
adm-gone = Этого пользователя больше нет.
adm-usage = Укажите email или id, например: /{ $command } name@example.com
adm-not-found = Пользователь не найден: { $key }
adm-approved = ✅ Одобрен(а): { $email }. Человеку сообщено.
adm-rejected = ⛔ Отклонён(а): { $email }. Человеку сообщено.
adm-paused-stores = ⏸ Приостановлено магазинов владельца: { $count }. Возобновить их может только сам владелец, после одобрения.
adm-was-approved = { $email } уже одобрен(а).
adm-was-rejected = { $email } уже отклонён(а).
adm-pending-empty = Никто не ждёт одобрения.
adm-pending-title = <b>Ждут одобрения: { $count } { $count ->
        [one] человек
        [few] человека
        [many] человек
       *[other] человека
    }</b>
adm-pending-more = …и ещё { $count }: примите решение по первым, список обновится.
adm-users-title = <b>Пользователи: { $count }</b> (✅ одобрен, ⏳ ждёт, ⛔ отклонён)
adm-users-empty = Пользователей пока нет.
