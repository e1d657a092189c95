-- 0007: what the scheduler, alerts and reminders need (docs/decisions.md, "Alerts and scheduler").
--
-- new_reviews: a durable queue of reviews an incremental sync found new (domain-rules
--   "What counts as new"), written by the job right after the sync that found them, so
--   auto-drafting and alerts pick them up after a restart or on another instance.
-- review_alerts: one row per review and recipient, ever. The row is the claim: it is
--   inserted ('claimed', or 'held' in the person's quiet hours) before the send, marked
--   'sent' after it; a claim older than 10 minutes without a send is retried. 'failed'
--   is final (the person blocked the bot, or too many attempts).
-- sync_schedule: when each store's sync of each kind (and the nightly full sync) is due
--   next; claiming a slot moves it forward, so several instances never run one slot twice.
-- token_reminders: the token-expiry reminders sent (14 and 3 days before), per token.

CREATE TABLE new_reviews (
  review_id      TEXT PRIMARY KEY REFERENCES reviews(id) ON DELETE CASCADE,
  store_id       TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  found_at       TIMESTAMPTZ NOT NULL,
  draft_claimed_at TIMESTAMPTZ NULL,
  draft_attempts SMALLINT NOT NULL DEFAULT 0,
  draft_done_at  TIMESTAMPTZ NULL,   -- auto-drafting decided (drafted, refused by a gate, gave up)
  alerts_done_at TIMESTAMPTZ NULL    -- alert rows written for every recipient
);
CREATE INDEX idx_new_reviews_draft ON new_reviews(store_id, found_at) WHERE draft_done_at IS NULL;
CREATE INDEX idx_new_reviews_alerts ON new_reviews(found_at) WHERE alerts_done_at IS NULL;

CREATE TABLE review_alerts (
  review_id  TEXT NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  store_id   TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  status     TEXT NOT NULL CHECK (status IN ('claimed', 'held', 'sent', 'failed')),
  digest     BOOLEAN NOT NULL DEFAULT FALSE,  -- claimed for (or sent in) a quiet-hours digest
  attempts   SMALLINT NOT NULL DEFAULT 0,
  claimed_at TIMESTAMPTZ NULL,
  sent_at    TIMESTAMPTZ NULL,
  error      TEXT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (review_id, user_id)
);
CREATE INDEX idx_review_alerts_open ON review_alerts(status, claimed_at)
  WHERE status IN ('claimed', 'held');
CREATE INDEX idx_review_alerts_user ON review_alerts(user_id);

CREATE TABLE sync_schedule (
  store_id    TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  slot        TEXT NOT NULL,  -- a sync kind, or 'full' for the nightly full sync
  next_run_at TIMESTAMPTZ NOT NULL,
  last_claimed_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (store_id, slot)
);

CREATE TABLE token_reminders (
  store_id   TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL,     -- sha256 of the token; a new token starts over
  days       SMALLINT NOT NULL, -- 14 or 3
  expires_at TIMESTAMPTZ NOT NULL,
  sent_at    TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (store_id, token_hash, days)
);

-- Quiet hours (user_preferences.quiet_start/quiet_end, MSK hours, start inclusive, end
-- exclusive; a window may wrap midnight; equal or missing ends mean no quiet hours).
CREATE FUNCTION in_quiet_hours(q_start SMALLINT, q_end SMALLINT, hour INTEGER)
RETURNS BOOLEAN LANGUAGE SQL IMMUTABLE AS $$
  SELECT CASE
    WHEN q_start IS NULL OR q_end IS NULL OR q_start = q_end THEN FALSE
    WHEN q_start < q_end THEN hour >= q_start AND hour < q_end
    ELSE hour >= q_start OR hour < q_end
  END
$$;
