-- 0011: a sync run's claim on a store and kind is a lease in sync_state, not a session
-- advisory lock (which held a pooled connection for the whole run, across WB calls).
--
-- lease_holder: a random id per run; set by a conditional upsert when nobody holds the kind
--   or the holder's lease expired, renewed per page, cleared at the end of the run.
-- lease_expires_at: when a holder that stopped renewing (a killed process) loses the kind;
--   a `pending` sync status without a live lease reads as interrupted (db/repos/stores.py).
-- lease_started_at: when the current (or last) holder took it.
ALTER TABLE sync_state
  ADD COLUMN lease_holder     TEXT NULL,
  ADD COLUMN lease_started_at TIMESTAMPTZ NULL,
  ADD COLUMN lease_expires_at TIMESTAMPTZ NULL;

-- auth_notice_claimed_at: when the auth-failure notice was claimed (auth_error_notified set
--   before the send); NULL once the send's outcome is recorded. A claim left by a process
--   that died before the send is taken again after 10 minutes (services/reminders.py).
ALTER TABLE sync_state ADD COLUMN auth_notice_claimed_at TIMESTAMPTZ NULL;

-- token_reminders.delivered: FALSE while a reminder is claimed but not yet sent; a claim
--   that stays undelivered for 10 minutes lost its process and is claimed again.
--   Rows written before this migration were sent.
ALTER TABLE token_reminders ADD COLUMN delivered BOOLEAN NOT NULL DEFAULT TRUE;
