# Alerts on new reviews, quiet-hours digests, token reminders.
alert-title = 🔔 <b>New review</b> · { $store }
alert-product = { $name } · art. { $article } · nm { $nm }
alert-author = Author: { $author }
alert-no-text = <i>(no text)</i>
alert-pros = <b>Pros:</b> { $text }
alert-cons = <b>Cons:</b> { $text }
alert-draft = 📝 <b>Complaint draft</b> ({ $reason }), copy it and file it in the WB portal:
alert-btn-filed = ✅ Filed in WB
alert-btn-regen = 🔄 Regenerate
alert-btn-edit = ✏️ Edit
alert-btn-complaint = 📝 Complaint
alert-btn-draft-complaint = 📝 Draft a complaint
alert-btn-reply = 💬 Draft a reply
alert-btn-review = Open review
alert-btn-reviews = ⭐ All reviews
alert-digest-title = 🌙 <b>During your quiet hours: { $count ->
    [one] { $count } new review
   *[other] { $count } new reviews
}</b>
alert-digest-drafted = 📝 complaint draft ready
alert-digest-more = …and { $count } more
notice-auth-failed = ⚠️ <b>{ $store }</b>: WB refused the API token ({ $kinds }). Sync is stopped until you replace the token on the store card.
notice-token-expiring = ⏳ <b>{ $store }</b>: the WB API token expires in { $days } days ({ $date }). Create a new token in the WB portal and replace it on the store card.
notice-sequence-refused = ✋ <b>{ $store }</b>: WB refused a follow-up message to { $client } ({ $reason }). The follow-ups of that chat are stopped.
