# Reviews: list, filters, card, replies.
rv-no-stores = You have no stores yet. Add one under "Stores".
rv-pick-store = Choose a store:
rv-store-paused = ⏸ { $name }
rv-unavailable = This card is not available: it was removed or you have no access to it.
rv-page = page { $page } of { $pages }
rv-btn-list = « To the list
cq-btn-list = « To the queue
rv-list-title = ⭐ <b>Reviews</b> · { $store }
rv-list-filter = 🔎 { $filter }
rv-list-found = { $count ->
    [0] Nothing found.
    [one] { $count } review found.
   *[other] { $count } reviews found.
}
rv-list-empty = No reviews match this filter. Change the filter.
rv-btn-filter = 🔎 Filter
rv-btn-product = 📦 Product
rv-btn-reset = ↺ Default
rv-filter-title = <b>Filter</b>
    Now: { $filter }
    Press an option and the list updates.
rv-filter-product = Choose a product (in brackets: reviews at 1–3 ★):
rv-f-r-le3 = ★ ≤ 3
rv-f-r-1 = 1 ★
rv-f-r-2 = 2 ★
rv-f-r-3 = 3 ★
rv-f-r-4 = 4 ★
rv-f-r-5 = 5 ★
rv-f-r-all = ★ all
rv-f-a-any = answer: any
rv-f-a-no = unanswered
rv-f-a-yes = answered
rv-f-c-open = complaint: none or draft
rv-f-c-not_sent = no complaint
rv-f-c-draft = draft
rv-f-c-sent = filed
rv-f-c-approved = approved
rv-f-c-rejected = rejected
rv-f-c-all = complaint: any
rv-f-d-0 = all time
rv-f-d-7 = 7 days
rv-f-d-30 = 30 days
rv-f-d-90 = 90 days
rv-f-act-on = active products
rv-f-act-off = all products
rv-f-p-all = All products
rv-card-product = 📦 <b>{ $name }</b> · art. { $article } · WB { $nm }
rv-card-author = 👤 { $author }
rv-card-text = Text
rv-card-pros = Pros
rv-card-cons = Cons
rv-card-answer = 💬 Seller's answer
rv-card-draft = ✍️ Draft reply
rv-card-no-text = <i>Stars only, no text.</i>
rv-answered = 💬 answered
rv-not-answered = unanswered
rv-complaint = complaint: { $status }
rv-wb-visible = visible on WB
rv-wb-unpublished = unpublished
rv-wb-excluded = excluded from rating
rv-photos = { $count ->
    [one] 📷 { $count } photo
   *[other] 📷 { $count } photos
}
rv-video = 🎬 video
rv-draft-problems = ⚠️ <b>The draft breaks the rules and cannot be published:</b>
rv-draft-fix = Fix the text ("Edit") or ask for a new variant.
rv-btn-draft = ✍️ Reply (AI)
rv-btn-write = ✏️ Write a reply
rv-btn-publish = ✅ Publish to WB
rv-btn-publish-again = ↻ Checked WB: send again
rv-btn-edit = ✏️ Edit
rv-btn-regen = 🔄 New variant
rv-btn-complaint = ⚠️ Draft a complaint
rv-btn-complaint-open = 📝 Complaint: { $status }
rv-busy = Already in progress, please wait…
rv-drafting = Drafting a reply…
rv-publishing = Publishing the reply…
rv-published = ✅ The reply is published on WB.
rv-ai-failed = ⚠️ The AI is unavailable right now. Try again in a minute.
rv-edit-prompt = Send the reply text in one message (2 to 2500 characters). /cancel to cancel.
rv-edit-current = Current draft:
rv-edit-saved = ✏️ Draft reply saved.
rv-edit-guard = ⚠️ Saved, but the text breaks WB's rules: fix it before publishing.
rv-err-not_found = Review not found.
rv-err-already_answered = This review already has an answer.
rv-err-empty = The reply is empty or shorter than 2 characters.
rv-err-too_long = The reply is longer than 5000 characters: WB will not accept it.
rv-err-guard = ⚠️ The text breaks WB's rules and was not published. Please fix it.
rv-err-auth = ⚠️ WB rejected the store's token ({ $detail }). Replace the token under "Stores". The reply is kept as a draft.
rv-err-outcome_unknown = ⚠️ WB did not confirm the publish: it may have gone through. Check the review in the WB portal before sending again. The reply is kept as a draft.
rv-err-rate_limited = ⚠️ WB asks to wait (rate limit). Try again in a minute. The reply is kept as a draft.
rv-err-wb_refused = ⚠️ WB refused: { $detail }. The reply is kept as a draft.
rv-err-wb_unavailable = ⚠️ WB is unavailable right now. Try later. The reply is kept as a draft.
rv-err-token_unreadable = ⚠️ The store's stored token cannot be read with the current SECRET_KEY: replace the token under "Stores" or ask the operator to restore the key. The reply is kept as a draft.
rv-err-draft_changed = ⚠️ <b>Not published:</b> the draft changed after this card was shown (edited, regenerated or removed in another chat or message). The card is up to date now: check it before publishing.
rv-draft-changed-alert = The draft changed after this card was shown, so nothing was published. The card is up to date now: check it.
rv-draft-recheck = ⚠️ <b>Not published:</b> this button is from an old card. The card is up to date now: check the draft before publishing.
rv-draft-recheck-alert = This button is from an old card, so nothing was published. The card is up to date now: check it.
rv-draft-too-long = ✂️ The draft is longer than a message can show: shorten it (✏️ Edit) to publish it.
rv-err-too-long-for-card = ✂️ <b>Not saved:</b> the reply is longer than { $max } characters and would not fit on the card whole, and only what the card shows can be published. Please shorten it.
