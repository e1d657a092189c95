-- 0033: sequence refusal notices and automatic-reply announcements are delivered as every
-- alert is (services/delivery.py, docs/decisions.md "Graceful stop"): claimed before the
-- send, recorded after it, given back by a stopping process, sent again when a claim goes
-- stale (10 minutes, at most 5 attempts), held by the person's quiet hours.

-- A refused sequence's notice: `owner_told_at` is now set when the notice was sent (or can
-- never be: no chat, blocked); the claim is `owner_notice_claimed_at`.
ALTER TABLE chat_auto_sequences
  ADD COLUMN owner_notice_claimed_at TIMESTAMPTZ NULL,
  ADD COLUMN owner_notice_attempts   SMALLINT NOT NULL DEFAULT 0;
CREATE INDEX chat_auto_sequences_notice_idx ON chat_auto_sequences (id)
  WHERE stop_reason = 'wb_refused' AND owner_told_at IS NULL;

-- One row per automatic reply waiting out its cancel window and person who works the store
-- (owner, managers with alerts on), written with the reply's 'scheduled' state. 'pending'
-- rows of a person in quiet hours wait; the rest are claimed and sent as one message per
-- person and store.
CREATE TABLE autoreply_announcements (
  review_id   TEXT NOT NULL REFERENCES autoreplies(review_id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  store_id    TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  status      TEXT NOT NULL DEFAULT 'pending'
              CHECK (status IN ('pending', 'claimed', 'sent', 'failed')),
  attempts    SMALLINT NOT NULL DEFAULT 0,
  claimed_at  TIMESTAMPTZ NULL,
  sent_at     TIMESTAMPTZ NULL,
  PRIMARY KEY (review_id, user_id)
);
CREATE INDEX autoreply_announcements_open_idx ON autoreply_announcements (user_id)
  WHERE status IN ('pending', 'claimed');
