# Оповещения о новых отзывах, сводки тихих часов, напоминания о токенах.
alert-title = 🔔 <b>Новый отзыв</b> · { $store }
alert-product = { $name } · арт. { $article } · nm { $nm }
alert-author = Автор: { $author }
alert-no-text = <i>(без текста)</i>
alert-pros = <b>Достоинства:</b> { $text }
alert-cons = <b>Недостатки:</b> { $text }
alert-draft = 📝 <b>Черновик жалобы</b> ({ $reason }), скопируйте и подайте на портале WB:
alert-btn-filed = ✅ Подал(а) в WB
alert-btn-regen = 🔄 Перегенерировать
alert-btn-edit = ✏️ Изменить
alert-btn-complaint = 📝 Жалоба
alert-btn-draft-complaint = 📝 Составить жалобу
alert-btn-reply = 💬 Черновик ответа
alert-btn-review = Открыть отзыв
alert-btn-reviews = ⭐ Все отзывы
alert-digest-title = 🌙 <b>Пока были тихие часы: { $count ->
    [one] { $count } новый отзыв
    [few] { $count } новых отзыва
   *[other] { $count } новых отзывов
}</b>
alert-digest-drafted = 📝 черновик жалобы готов
alert-digest-more = …и ещё { $count }
notice-auth-failed = ⚠️ <b>{ $store }</b>: WB отклонил токен API ({ $kinds }). Синхронизация остановлена, пока вы не замените токен в карточке магазина.
notice-token-expiring = ⏳ <b>{ $store }</b>: токен WB API истекает через { $days } дн. ({ $date }). Создайте новый токен на портале WB и замените его в карточке магазина.
notice-sequence-refused = ✋ <b>{ $store }</b>: WB отклонил сообщение серии покупателю { $client } ({ $reason }). Серия в этом чате остановлена.
