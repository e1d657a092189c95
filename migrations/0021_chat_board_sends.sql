-- 0021: the chat board (issue 13).
--
-- Column lists page a store's chats of one status newest message first: the seed indexes chats
-- by (store_id, tag, last_message_date) only, so a status index ordered by activity (the last
-- message, or creation for a chat without one), `id` as the keyset's tie-breaker.
CREATE INDEX IF NOT EXISTS idx_chats_store_status_date
  ON chats (store_id, status, (COALESCE(last_message_date, created_at)) DESC, id DESC);

-- A reply send in flight, or one whose outcome WB did not confirm (services/chats).
-- The row is the claim: inserted and committed before the WB call, so a second press (or a
-- second process) finds it and sends nothing. Removed once WB answered or refused for sure;
-- 'unknown' stays until a sync shows the message or a person confirms another send.
CREATE TABLE chat_sends (
  chat_id    TEXT PRIMARY KEY REFERENCES chats(id) ON DELETE CASCADE,
  state      TEXT NOT NULL CHECK (state IN ('sending', 'unknown')),
  text       TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- When the tagger last looked at the chat: a chat whose last message is newer is tagged again
-- after the next sync (bounded per run). `tag_update_date` says when the tag last changed.
ALTER TABLE chats ADD COLUMN IF NOT EXISTS tagged_at TIMESTAMPTZ NULL;
CREATE INDEX IF NOT EXISTS idx_chats_store_untagged ON chats (store_id, last_message_date)
  WHERE tagged_at IS NULL OR tagged_at < last_message_date;

-- Alerts for new buyer messages: one row per batch (the buyer messages one sync found in a
-- store) and person who works the store. The row is the claim, as in `review_alerts`:
-- 'claimed' before the send, 'sent' after it; 'held' in the person's quiet hours, delivered
-- as one digest when they end; a claim older than 10 minutes without a send is sent again.
CREATE TABLE chat_alerts (
  id          TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  batch       TEXT NOT NULL,  -- the batch's first message id: one alert per batch and person
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  store_id    TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  chat_ids    TEXT[] NOT NULL,
  messages    INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('claimed', 'held', 'sent', 'failed')),
  attempts    SMALLINT NOT NULL DEFAULT 0,
  claimed_at  TIMESTAMPTZ NULL,
  sent_at     TIMESTAMPTZ NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (batch, user_id)
);
CREATE INDEX idx_chat_alerts_open ON chat_alerts (status, claimed_at)
  WHERE status IN ('claimed', 'held');
