# Registration, waiting for approval, store invites.
reg-ask-email = 👋 Welcome to <b>WB Reputation</b>!
    To register, send your email in one message.
    /cancel — cancel.
reg-ask-email-invite = 👋 Welcome to <b>WB Reputation</b>! You were invited to a store.
    To register, send your email in one message. The invite is applied once an admin approves you.
    /cancel — cancel.
reg-bad-email = This does not look like an email: "{ $text }".
    Send an address like <code>name@example.com</code>, or /cancel.
reg-bad-email-local = In "{ $text }" the part before @ may hold only Latin letters, digits and . _ + -. Cyrillic letters and look-alikes of Latin ones do not fit: type the address in Latin letters, or /cancel.
reg-bad-email-mixed = The domain of "{ $text }" mixes letters of different alphabets (a Latin and a Cyrillic "a", for example). Type the address again, or /cancel.
reg-bad-email-domain = The domain of "{ $text }" does not look like a real one. Send an address like <code>name@example.com</code>, or /cancel.
reg-not-text = Send your email as text, for example <code>name@example.com</code>.
reg-linked-elsewhere = This email is already linked to another Telegram account. Use another email or contact the admin.
reg-needs-link = 🔒 A user with the email { $email } already exists. For safety it is linked to Telegram only by a personal link, not by typing the email.
    Ask the administrator to send you your personal link. To register with another email, press /start.
reg-cancelled = Registration cancelled. Press /start to begin again.
reg-waiting = ✅ Request received: { $email }.
    An admin will review it, and the bot will tell you the decision.
access-waiting = ⏳ Your request is waiting for an admin's approval. The bot will tell you the decision.
access-waiting-invite = ⏳ Your request is waiting for an admin's approval. The invite is saved: it is applied once you are approved.
access-rejected = An admin declined your request to use the bot. If this is a mistake, contact the admin.
access-approved = 🎉 Your request is approved. Welcome!
access-stores-paused = ⏸ Your stores on pause: { $count }. They do not sync until you resume each on its card ("Stores").
access-refused = Sorry, an admin declined your request to use the bot. Thank you for your interest!
invite-joined = 🤝 You are now a manager of the store "{ $store }". You will get alerts about its new negative reviews.
invite-already = You are already a manager of the store "{ $store }".
invite-owner-notice = 🤝 { $who } accepted your invite and is now a manager of the store "{ $store }".
invite-unknown = This invite link is not valid. Ask the store owner for a new one.
invite-used = Someone else has already used this invite. Ask the store owner for a new link.
invite-expired = This invite has expired. Ask the store owner for a new link.
invite-removed = You already used this invite, and the owner has since removed you from the store's managers. If you need access again, ask the owner for a new invite.
invite-own_store = This invite is to your own store: you already own it.
link-done = ✅ This Telegram account is now linked to { $email }.
link-invalid = This personal link is not valid: it has expired, has already been used, or a newer one was issued. Ask the administrator for a new link.
link-telegram-taken = This Telegram account is already linked to another user, so the personal link was not applied. Contact the administrator.
link-user-taken = This user is already linked to another Telegram account, so the personal link was not applied. Contact the administrator.
