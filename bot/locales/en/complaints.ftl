# Complaints: queue, card, batch drafting.
cp-pick-store = Choose a store:
cp-status-not_sent = none
cp-status-draft = draft
cp-status-sent = filed
cp-status-pending = under review
cp-status-approved = approved
cp-status-rejected = rejected
cp-mark-draft = 📝
cp-mark-sent = 📨
cp-mark-pending = ⏳
cp-mark-approved = ✅
cp-mark-rejected = ❌
cp-queue-title = 📝 <b>Complaints</b> · { $store }
cp-queue-count-draft = { $count ->
    [0] No drafts.
    [one] { $count } draft waits to be filed in WB.
   *[other] { $count } drafts wait to be filed in WB.
}
cp-queue-count-sent = { $count ->
    [0] No filed complaints without a verdict.
    [one] { $count } complaint filed, no verdict marked.
   *[other] { $count } complaints filed, no verdict marked.
}
cp-queue-count-done = { $count ->
    [0] No complaints with a verdict.
    [one] { $count } complaint with WB's verdict.
   *[other] { $count } complaints with WB's verdict.
}
cp-queue-empty-draft = Draft a complaint from a review card, or with the button below for every eligible review.
cp-queue-empty-sent = Filed complaints show up here: mark whether WB approved them.
cp-queue-empty-done = Complaints with WB's verdict show up here.
cp-tab-draft = Drafts
cp-tab-sent = Filed
cp-tab-done = Decided
cp-btn-batch = 🤖 Complaints for all eligible reviews
cp-btn-batch-go = ✅ Yes, draft them
cp-card-title = 📝 <b>Complaint</b> · { $status }
cp-card-reason = Reason: <b>{ $reason }</b>
cp-card-find = 🔎 <b>Find the review in the WB portal:</b>
cp-card-product = 📦 { $name } · art. { $article } · WB { $nm }
cp-card-review = { $stars } · { $date } · 👤 { $author }
cp-card-sent = 📨 Filed: { $date }
cp-card-regenerated = { $count ->
    [one] 🔄 Regenerated { $count } time
   *[other] 🔄 Regenerated { $count } times
}
cp-card-howto = Copy the text (tap the block), file the complaint in the WB portal and press "Filed in WB".
cp-btn-sent = ✅ Filed in WB
cp-btn-regen = 🔄 Again
cp-btn-edit = ✏️ Edit
cp-btn-reason = 🏷 Reason
cp-btn-discard = 🗑 Discard draft
cp-btn-approved = 👍 Approved
cp-btn-rejected = 👎 Rejected
cp-btn-pending = ⏳ Under review
cp-btn-review = ⭐ Review
cp-drafting = Drafting a complaint…
cp-drafted = ✅ The complaint draft is ready.
cp-regenerated = 🔄 A new variant is ready.
cp-edited = ✏️ Complaint text saved.
cp-discarded = 🗑 Complaint draft discarded.
cp-marked-sent = 📨 Marked: the complaint is filed in WB.
cp-marked-approved = 👍 Marked: WB approved the complaint.
cp-marked-rejected = 👎 Marked: WB rejected the complaint.
cp-marked-pending = ⏳ Marked: the complaint is under review.
cp-state-changed = ℹ️ The complaint is already past that step: here it is now.
cp-ai-failed = ⚠️ The AI is unavailable right now, no complaint was drafted. Try again in a minute.
cp-pick-reason = Choose the complaint's reason (the category in the WB portal):
cp-edit-prompt = Send the new complaint text in one message (up to 1000 characters). /cancel to cancel.
    Now:
cp-gate-store_paused = ⛔ No complaint: the store is paused.
cp-gate-rating = ⛔ No complaint: 5 ★ reviews are never complained about.
cp-gate-too_old = ⛔ No complaint: WB takes complaints only about reviews from 1 October 2023 on.
cp-gate-wb_status = ⛔ No complaint: the review is unpublished or excluded from the rating.
cp-gate-vanished = ⛔ No complaint: the review has vanished from WB.
cp-gate-complaint_exists = ⛔ This review already has a complaint: WB takes one complaint per review.
cp-gate-review_not_found = ⛔ Review not found.
cp-err-complaint_not_found = Complaint not found.
cp-err-empty_text = The text is empty. Send the complaint text or /cancel.
cp-err-too_long = The text is longer than 1000 characters: WB will not accept it. Shorten it and send again, or /cancel.
cp-err-bad_reason = No such reason.
cp-err-bad_outcome = No such verdict.
cp-err-review_not_found = Review not found.
cp-batch-none = No eligible reviews: they all have complaints, or the product rules do not allow them (products: "submit complaints" and ratings).
cp-batch-ask = { $count ->
    [one] A complaint will be drafted for { $count } review.
   *[other] Complaints will be drafted for { $count } reviews.
}
    Rough AI cost: up to ${ $cost }. Reviews without text get a template for free.
    Go ahead?
cp-batch-started = Starting…
cp-batch-running = Complaints for this store are already being drafted.
cp-batch-progress = 🤖 Drafting complaints: { $done } of { $total }…
cp-batch-failed = ⚠️ Drafting stopped. The drafts made so far are kept; start it again.
cp-batch-done = ✅ Done. { $drafted ->
    [one] { $drafted } draft made
   *[other] { $drafted } drafts made
} (templates: { $templates }), errors: { $failed }. AI cost: ${ $cost }.
    Find them under "Drafts".
cp-err-in_progress = A complaint for this review is being drafted right now: wait a few seconds.
cp-gate-in_progress = ⏳ A complaint for this review is being drafted right now: wait a few seconds.
cp-err-text_changed = ⚠️ <b>Not marked:</b> the complaint changed after this card was shown (a new variant, an edit or another reason). The card is up to date now: check the text, file it in WB and press "Filed in WB" again.
cp-text-changed-alert = The complaint changed after this card was shown, so nothing was marked. The card is up to date now: check it.
cp-text-recheck = ⚠️ <b>Not marked:</b> this button is from an old card. The card is up to date now: check the complaint text and press "Filed in WB" again.
cp-text-recheck-alert = This button is from an old card, so nothing was marked. The card is up to date now: check it.
