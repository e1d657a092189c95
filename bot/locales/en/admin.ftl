# Admin: access requests and users.
adm-card = 🆕 <b>New registration</b>
    Email: { $email }
    Telegram: { $username }
    Name: { $name }
    Telegram ID: <code>{ $tg }</code>
adm-none = —
adm-someone = an admin
adm-btn-approve = ✅ Approve
adm-btn-reject = ⛔ Reject
adm-decided-approved = ✅ Approved: { $admin }, { $date }
adm-decided-rejected = ⛔ Rejected: { $admin }, { $date }
adm-answer-approved = Approved
adm-answer-rejected = Rejected
adm-already-approved = Already approved: { $admin }
adm-already-rejected = Already rejected: { $admin }
adm-gone = This user no longer exists.
adm-usage = Give an email or id, for example: /{ $command } name@example.com
adm-not-found = No such user: { $key }
adm-approved = ✅ Approved: { $email }. They have been told.
adm-rejected = ⛔ Rejected: { $email }. They have been told.
adm-paused-stores = ⏸ Stores of this owner paused: { $count }. Only the owner can resume them, once approved again.
adm-was-approved = { $email } is already approved.
adm-was-rejected = { $email } is already rejected.
adm-pending-empty = Nobody is waiting for approval.
adm-pending-title = <b>Waiting for approval: { $count } { $count ->
        [one] person
       *[other] people
    }</b>
adm-pending-more = …and { $count } more: decide on the first ones and the list refreshes.
adm-users-title = <b>Users: { $count }</b> (✅ approved, ⏳ waiting, ⛔ rejected)
adm-users-empty = No users yet.
