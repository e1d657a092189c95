"""Screens shared by several routers and jobs: review and complaint cards (text + keyboard).

- `bot.views.reviews.render_review_card` + `bot.keyboards.reviews.review_card_keyboard`
- `bot.views.complaints.render_complaint_card` + `bot.keyboards.complaints.complaint_card_keyboard`

They take any `bot.views.common.Texts` (a handler's `I18nContext`) and rows from
`db.repos.review_pages`.
"""
