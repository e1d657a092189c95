# Personal settings: language, alert threshold, quiet hours.
set-title = ⚙️ <b>Settings</b>
    Personal: they apply to you only, on other people's stores too.
set-language = 🌐 Language: { $language }
set-threshold = 🔔 Alerts: reviews of { $stars }★ and below
set-quiet-off = 🌙 Quiet hours: off
set-quiet = 🌙 Quiet hours: { $start }:00–{ $end }:00 MSK (alerts come as a digest afterwards)
set-lang-ru = Русский
set-lang-en = English
set-quiet-btn-off = No quiet hours
set-saved = Saved
