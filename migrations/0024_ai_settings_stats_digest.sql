-- Issue 16: AI settings from the phone, AI spend cap, stats, weekly digest.
--
-- ai_settings_audit: every change of a person's AI settings (key set/checked/removed, prompts,
--   ai_concurrency, monthly cap) and of a store's ai_instructions: who, when, which field and
--   what changed. The DeepSeek key itself is never written here (old/new are NULL for it).
-- user_settings.ai_monthly_cap_usd: optional monthly cap on paid drafting (NULL: none).
-- user_preferences.weekly_digest: the Monday digest for a person's own stores (opt-out).
-- weekly_digests: one row per store and ISO week, claimed with INSERT ... ON CONFLICT DO
--   NOTHING, so exactly one instance sends each digest.
-- idx_reviews_stats_product: per-product aggregates of a store (negatives, averages,
--   rating impact) by an index-only scan instead of the heap.
-- idx_ai_logs_owner_date: a person's spend this month.

ALTER TABLE user_settings ADD COLUMN ai_monthly_cap_usd NUMERIC(10, 2) NULL
  CHECK (ai_monthly_cap_usd IS NULL OR ai_monthly_cap_usd >= 0);

ALTER TABLE user_preferences ADD COLUMN weekly_digest BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE ai_settings_audit (
  id          BIGSERIAL PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  store_id    TEXT NULL REFERENCES stores(id) ON DELETE CASCADE,
  field       TEXT NOT NULL,
  action      TEXT NOT NULL CHECK (action IN ('set', 'reset', 'removed', 'checked')),
  old_value   TEXT NULL,
  new_value   TEXT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_ai_settings_audit_user ON ai_settings_audit(user_id, created_at DESC);

CREATE TABLE weekly_digests (
  store_id    TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  week_start  DATE NOT NULL,
  claimed_by  TEXT NOT NULL,
  claimed_at  TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  sent_at     TIMESTAMPTZ NULL,
  PRIMARY KEY (store_id, week_start)
);

CREATE INDEX idx_reviews_stats_product ON reviews(store_id, product_id, rating)
  INCLUDE (has_answer, has_complaint, review_status_wb, complaint_status, date);
CREATE INDEX idx_ai_logs_owner_date ON ai_logs(owner_id, created_at DESC);
