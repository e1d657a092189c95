# Common texts and the main menu.
menu-title = <b>WB Reputation</b>
    Reviews, complaints and chats of your Wildberries stores.
menu-stores = 🏪 Stores
menu-reviews = ⭐ Reviews
menu-complaints = 📝 Complaints
menu-products = 📦 Products
menu-settings = ⚙️ Settings
menu-help = ❓ Help
btn-back = « Back
btn-menu = « Menu
btn-next = Next »
btn-cancel = ✖ Cancel
prompt-cancel-hint = <i>To cancel: the Cancel button or /cancel.</i>
btn-prev = « Prev
help-text = <b>How it works</b>
    1. Add a store: a name and a WB API token (personal, with the categories { $categories }).
    2. The bot loads the reviews and sends you new negative ones at once.
    3. Draft a complaint in two taps, paste it in the WB portal and mark it "Filed in WB".
    Commands: /start — menu, /cancel — cancel input.
error-generic = Something went wrong. Please try again.
error-forbidden = You have no access to this.
error-stale = This button is outdated: the screen was refreshed.
input-control-chars = The message holds invisible control characters (such as NUL) that cannot be stored. Remove them (type the text rather than paste it) and send it again.
error-bad-button = This button does not work: its data holds characters that are not allowed. Open the menu: /start
cancelled = Cancelled.
nothing-to-cancel = Nothing to cancel.
cmd-start = Main menu
cmd-cancel = Cancel input
cmd-help = Help
cmd-settings = Settings: language, alerts
cmd-users = Users (admin)
cmd-pending = Pending approvals (admin)
access-start-first = Press /start to register.
access-not-approved = Your request is waiting for an admin's approval.
unknown-input = I don't understand. Open the menu: /start
