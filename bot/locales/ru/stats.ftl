# Статистика магазина (bot/routers/stats.py) и еженедельная сводка.
cmd-stats = Статистика магазина
stores-btn-stats = 📊 Статистика
stats-pick = 📊 <b>Статистика</b>: выберите магазин.
stats-no-stores = 📊 Магазинов пока нет.
stats-title = 📊 <b>Статистика: { $name }</b>
    Выберите график.
stats-btn-rating = Рейтинг по неделям
stats-btn-products = Негатив по товарам
stats-btn-funnel = Жалобы и одобрение WB
stats-btn-impact = Рост рейтинга
stats-btn-times = Ответы и сроки
stats-btn-store = « Магазин
stats-btn-back = « Статистика
stats-drawing = Рисую график…
stats-empty = Пока нет данных.
stats-rating-line = Средняя { $avg } по { $total } отзывам
stats-week-line = Неделя с { $week }: { $avg } ({ $total } отзывов, 1-3★: { $neg })
stats-funnel-line = За 90 дней: черновиков { $drafted }, подано { $filed }, одобрено { $approved }, отклонено { $rejected }, ждут { $pending }. Одобрение: { $rate }
stats-impact-line = • { $name }: { $before } → { $after }, если убрать { $n }
stats-times-line = С ответом { $answered } из { $total } отзывов за 90 дней
digest-title = 📬 <b>Неделя магазина «{ $name }»</b>
digest-no-reviews = За прошлую неделю новых отзывов нет.
digest-week = Отзывов: { $total }, средняя { $avg }{ $change }, 1-3★: { $neg }
digest-problems = <b>Проблемные товары</b>:
digest-worth = <b>Стоит подать жалобы</b> (рейтинг до → после):
digest-spend = Расходы на ИИ в этом месяце: ${ $spend }
digest-btn-stats = 📊 Статистика
