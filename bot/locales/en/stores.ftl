# Stores: list, card, adding, token, sync, managers.
stores-title = <b>🏪 Stores</b>
stores-empty = <b>🏪 Stores</b>
    No stores yet. Add the first one: you need a name and a WB API token.
stores-count = { $count ->
    [one] { $count } store
   *[other] { $count } stores
}
stores-legend = 👑 — your store, 👤 — you are a manager, ⏸ — paused.
stores-btn-add = ➕ Add a store
stores-btn-list = « To stores
stores-btn-card = « To the store
stores-btn-sync = 🔄 Sync now
stores-btn-rename = ✏️ Rename
stores-btn-token = 🔑 Replace token
stores-btn-pause = ⏸ Pause
stores-btn-resume = ▶️ Resume
stores-btn-managers = 👥 Managers
stores-btn-delete = 🗑 Delete
stores-btn-delete-yes = Yes, delete
stores-btn-delete-no = No, keep it
stores-btn-invite = ➕ Invite a manager
stores-btn-open = 🏪 Open the store
stores-unavailable = The store is not found or you have no access to it.
stores-owner-only = Only the store's owner can do this.
stores-card = 🏪 <b>{ $name }</b>
    { $status }
    Your role: { $role }
    { $reviews } · { $chats }

    <b>Sync</b>
    { $sync }
stores-status-active = ✅ Active
stores-status-paused = ⏸ Paused: sync and jobs are stopped
stores-role-owner = owner
stores-role-manager = manager
stores-reviews = { $count ->
    [one] { $count } review
   *[other] { $count } reviews
}
stores-chats = { $count ->
    [one] { $count } chat
   *[other] { $count } chats
}
stores-kind-products = Products
stores-kind-reviews = Reviews
stores-kind-questions = Questions
stores-kind-chats = Chats
stores-sync-line-never = { $kind }: not yet
stores-sync-line-pending = { $kind }: ⏳ running since { $date }
stores-sync-line-success = { $kind }: ✅ { $date }
stores-sync-line-error = { $kind }: ❌ { $date } — { $error }
stores-sync-line-interrupted = { $kind }: ⚠️ interrupted (started { $date }), the next sync goes on
# Adding
stores-ask-name = What should the store be called? Send a name (only you and your managers see it).
    /cancel — cancel.
stores-bad-name = The name cannot be empty. Send the store's name.
stores-ask-token = Now send the WB API token for "{ $name }".
    Create it in the seller portal: Settings → API access. It must be a <b>personal</b> token with the categories { $categories }, not read-only.
    I delete the message with the token at once.
stores-checking = 🔎 Checking the token…
stores-token-bad = ❌ The token does not fit; nothing was saved.
    { $problems }
    Send another token or /cancel.
stores-added = ✅ Store "{ $name }" added.
    { $info }
    Load reviews, questions, chats and products now?
stores-token-replaced = ✅ The token of "{ $name }" was replaced.
    { $info }
stores-ask-new-token = Send the new WB API token for "{ $name }". I delete the message with the token at once.
    /cancel — cancel.
stores-token-info = Token: { $type }; categories: { $categories }; valid until { $expires }.
stores-token-info-noexp = Token: { $type }; categories: { $categories }; no expiry date.
stores-type-base = base
stores-type-test = test
stores-type-personal = personal
stores-type-service = service
stores-cat-feedbacks = feedbacks and questions
stores-cat-chat = chat
stores-cat-content = content
stores-cat-none = none of the needed ones
stores-warnings = ⚠️ Please note:
# Token problems (why it was not saved)
stores-problem-malformed = This is not a WB API token (expected a JWT from the seller portal: three dot-separated parts).
stores-problem-expired = The token has expired: create a new one in the seller portal.
stores-problem-read_only = The token is read-only: the bot must answer, create a token with write access.
stores-problem-test_token = This is a sandbox test token: use a personal token.
stores-problem-no_feedbacks_category = The token has no "Feedbacks and questions" category: the bot cannot see reviews without it.
stores-problem-rejected_by_wb = WB refused the token.
stores-problem-wb_unreachable = WB cannot be reached now: try again in a few minutes.
stores-problem-seller_taken = This WB seller account is already added by another user: ask them for a manager invite.
stores-problem-seller_added = You have already added this WB seller account.
stores-problem-other_seller = The new token belongs to another WB seller account: this store needs a token of the same account.
stores-problem-other = The token does not fit ({ $code }).
stores-problem-detail = WB said: { $detail }
# Warnings (the token was saved)
stores-warn-base_token_limits = Base token: WB allows it only 5 requests an hour, so sync will be very slow. Create a personal token and replace it here.
stores-warn-expires_soon = The token expires within 14 days: create a new one in advance.
stores-warn-no_chat_category = No "Buyers chat" category: chats will not sync.
stores-warn-no_content_category = No "Content" category: product cards will not sync.
stores-warn-no_expiry = The token has no expiry date.
stores-warn-legacy_token = An old-style token: consider creating a new one.
# Rename, pause, delete
stores-ask-rename = New name for "{ $name }"? /cancel — cancel.
stores-renamed = ✏️ The store was renamed.
stores-paused = ⏸ The store is paused.
stores-resumed = ▶️ The store is active again.
stores-delete-confirm = 🗑 Delete the store "{ $name }"?
    Its reviews, complaints, questions, chats and products in the bot go with it. Nothing changes on WB. This cannot be undone.
stores-deleted = 🗑 Store "{ $name }" deleted.
# Sync
stores-sync-started = Sync started.
stores-sync-busy = This store is already syncing.
stores-sync-paused = The store is paused: resume it to sync.
stores-sync-progress = 🔄 Syncing "{ $name }"…
stores-sync-progress-what = { $what }: { $count }
stores-progress-products = products
stores-progress-reviews = reviews
stores-progress-questions = questions
stores-progress-chat-events = chat events
stores-sync-done = <b>Sync of "{ $name }" finished</b>
stores-sync-failed = ❌ The sync of "{ $name }" stopped on an internal error. Try again later.
stores-sync-ok = ✅ { $kind }: fetched { $fetched }, new { $new }, changed { $changed }
stores-sync-err = ❌ { $kind }: { $error }
stores-sync-skip = ⏭ { $kind }: { $reason }
stores-skip-running = already running (started earlier)
stores-skip-paused = the store is paused
stores-skip-gone = the store was deleted
stores-skip-refused = WB refused the token, replace it: { $reason }
stores-err-token-expired = the token has expired, replace it
stores-err-token-malformed = the token is malformed, replace it
stores-err-read-only = the token is read-only, replace it
stores-err-test-token = a test token works only in the sandbox
stores-err-no-category = the token has no "{ $category }" category
stores-err-scope = the token lacks access rights
stores-err-other = WB error: { $error }
stores-err-token-unreadable = the stored token cannot be read with the current SECRET_KEY: replace the token or restore the key
stores-token-unreadable = 🔐 <b>The token cannot be read.</b> The stored token cannot be decrypted with the current SECRET_KEY: the owner replaces the token on this card, or the operator restores the key. Until then sync and publishing do not work.
stores-err-internal = internal error, see the bot's log; the other kinds were synced
stores-err-taken-over = interrupted: another process took the sync over
stores-sync-set-aside = ⚠️ { $kind }: { $count } record(s) could not be stored (reasons in the log), the rest were
# Managers
stores-managers = <b>👥 Managers of "{ $name }"</b>
    { $list }
    Managers see the store, get alerts on negative reviews and work them; only the owner changes the token and the team.
stores-managers-none = No managers yet.
stores-manager-removed = Manager removed.
stores-manager-gone = This manager is no longer in the store.
stores-invite = 🔗 Manager invite to "{ $name }":
    { $link }
    The link works once and for 7 days. Send it to your colleague: they open the bot and, once approved, become the store's manager.
stores-stray-token = 🔒 This looks like a WB API token: I deleted the message so it does not stay in the chat. To add a store or replace a token, open "Stores".
stores-token-not-deleted = ⚠️ This looks like a WB API token, and I could not delete the message. Delete it yourself and replace the token in the WB seller portal: others may have seen it.
stores-token-caption = 🔒 The token came as the caption of a photo or a file: I deleted that message so the token does not stay in the chat, and did not check it. Send the token as a plain text message.
stores-http = WB answered HTTP { $status }: { $reason }.
stores-http-401 = the token was not accepted (wrong, revoked or expired)
stores-http-403 = access denied: the token lacks a category or a right
stores-http-404 = WB did not find the requested address
stores-http-429 = too many requests, WB asks to wait
stores-http-5xx = a failure on WB's side, try again later
stores-http-other = WB did not accept the request
stores-portal-cat-feedbacks = "Feedbacks and questions"
stores-portal-cat-chat = "Buyers chat"
stores-portal-cat-content = "Content"
