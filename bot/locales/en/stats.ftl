# Store stats (bot/routers/stats.py) and the weekly digest.
cmd-stats = Store stats
stores-btn-stats = 📊 Stats
stats-pick = 📊 <b>Stats</b>: pick a store.
stats-no-stores = 📊 No stores yet.
stats-title = 📊 <b>Stats: { $name }</b>
    Pick a chart.
stats-btn-rating = Rating by week
stats-btn-products = Negatives by product
stats-btn-funnel = Complaints and WB approval
stats-btn-impact = Rating gain
stats-btn-times = Replies and times
stats-btn-store = « Store
stats-btn-back = « Stats
stats-drawing = Drawing the chart…
stats-empty = No data yet.
stats-rating-line = Average { $avg } over { $total } reviews
stats-week-line = Week of { $week }: { $avg } ({ $total } reviews, 1-3★: { $neg })
stats-funnel-line = Last 90 days: drafted { $drafted }, filed { $filed }, approved { $approved }, rejected { $rejected }, pending { $pending }. Approval: { $rate }
stats-impact-line = • { $name }: { $before } → { $after } if { $n } are removed
stats-times-line = { $answered } of { $total } reviews answered in 90 days
digest-title = 📬 <b>The week of “{ $name }”</b>
digest-no-reviews = No new reviews last week.
digest-week = Reviews: { $total }, average { $avg }{ $change }, 1-3★: { $neg }
digest-problems = <b>Problem products</b>:
digest-worth = <b>Complaints worth filing</b> (rating before → after):
digest-spend = AI spend this month: ${ $spend }
digest-btn-stats = 📊 Stats
