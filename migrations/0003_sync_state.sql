-- 0003: what the sync engine needs beyond the seed schema.
--
-- reviews.vanished_at: a review that left WB's lists (domain-rules "Vanished reviews");
-- NULL again when it comes back. It counts as "resolved".
-- sync_state: per store and kind, the incremental cursor (start of the last successful run)
-- kept apart from full-sync bookkeeping, and the auth failure that parks a store's sync
-- until its token changes.

-- stores.wb_seller_id: the token's seller id (`sid`). One WB seller account is one store in
-- the bot (others are invited as managers), so two stores never fight over the same rows.
ALTER TABLE stores ADD COLUMN wb_seller_id TEXT NULL;
CREATE UNIQUE INDEX idx_stores_wb_seller ON stores(wb_seller_id) WHERE wb_seller_id IS NOT NULL;

ALTER TABLE reviews ADD COLUMN vanished_at TIMESTAMPTZ NULL;
CREATE INDEX idx_reviews_store_vanished ON reviews(store_id) WHERE vanished_at IS NOT NULL;

CREATE TABLE sync_state (
  store_id            TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  kind                TEXT NOT NULL CHECK (kind IN ('products', 'reviews', 'questions', 'chats')),
  last_success_at     TIMESTAMPTZ NULL,  -- start of the last successful run (incremental cursor)
  last_full_sync_at   TIMESTAMPTZ NULL,  -- start of the last successful full run
  last_run_new        INTEGER NOT NULL DEFAULT 0,
  auth_error          TEXT NULL,         -- set on 401/403; cleared when the token changes
  auth_error_token    TEXT NULL,         -- sha256 of the token that failed
  auth_error_notified BOOLEAN NOT NULL DEFAULT FALSE,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (store_id, kind)
);

CREATE TRIGGER update_sync_state_updated_at
  BEFORE UPDATE ON sync_state
  FOR EACH ROW
  EXECUTE FUNCTION update_updated_at_column();
