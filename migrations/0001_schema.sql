-- 0001_schema.sql: the seed schema of the WB Reputation Manager (docs: schema.md).
--
-- Exactly the schema.md schema: 6 enum types, 12 tables with every column, type, default,
-- NOT NULL and constraint as written, all 59 named indexes (74 indexes counting the 12
-- primary keys and the 3 UNIQUE constraints), the functions update_updated_at_column() and
-- update_review_complaint_flags(), and the trigger update_reviews_complaint_flags.
-- Reordered so it runs: types, functions, tables in foreign-key order, indexes, triggers.
--
-- Deviation (domain-rules.md, "Schema changes"): idx_reviews_store_answer_date is built on
-- (store_id, date DESC) WHERE answer IS NOT NULL instead of (store_id, answer, date DESC):
-- a btree row over ~2700 bytes fails, and a 1500-character Cyrillic JSONB answer is enough
-- to abort a whole sync batch.
--
-- Completions (the document states the intent, not every statement):
--   * a BEFORE UPDATE trigger update_<table>_updated_at -> update_updated_at_column() on
--     every table that has updated_at (schema.md: "Applied to all tables with updated_at");
--   * ON DELETE CASCADE on every foreign key from a child of users, stores, products,
--     reviews and chats ("CASCADE on delete for child records"), except
--     review_complaints.sent_by_user_id, which keeps the document's ON DELETE SET NULL.
--     chat_auto_sequences.store_id/owner_id have no foreign key in the document and get none.
--
-- Applied once by db/migrate.py inside a transaction (no BEGIN/COMMIT here).
-- Works on PostgreSQL 15 to 18 (gen_random_uuid() is core since 13).

-- ---------------------------------------------------------------------------------------
-- Enum types
-- ---------------------------------------------------------------------------------------

CREATE TYPE review_status_wb AS ENUM (
  'visible',       -- Виден (подаем жалобы)
  'unpublished',   -- Снят с публикации (НЕ подаем)
  'excluded',      -- Исключён из рейтинга (НЕ подаем)
  'unknown'        -- Неизвестно (по умолчанию)
);

CREATE TYPE product_status_by_review AS ENUM (
  'purchased',      -- Выкуп (товар выкуплен)
  'refused',        -- Отказ (отказ от товара)
  'not_specified',  -- Не указано
  'unknown'         -- Неизвестно
);

CREATE TYPE chat_status_by_review AS ENUM (
  'unavailable',  -- Недоступен (WB не дает открыть чат)
  'available',    -- Доступен (можно открыть чат)
  'unknown'       -- Неизвестно
);

CREATE TYPE complaint_status AS ENUM (
  'not_sent',  -- Не отправлена (жалоба не создана)
  'draft',     -- Черновик (сгенерирована AI, но не отправлена)
  'sent',      -- Отправлена (вручную отмечено пользователем)
  'approved',  -- Одобрена (WB одобрил жалобу)
  'rejected',  -- Отклонена (WB отклонил жалобу)
  'pending'    -- На рассмотрении (WB рассматривает)
);

CREATE TYPE work_status_enum AS ENUM (
  'not_working',  -- Не работаем с товаром
  'active',       -- Активно работаем (подаем жалобы)
  'paused',       -- Приостановлено
  'completed'     -- Завершено
);

CREATE TYPE chat_strategy_enum AS ENUM (
  'upgrade_to_5',  -- Повышаем оценку до 5
  'delete',        -- Удаляем отзыв
  'both'           -- Оба подхода
);

-- ---------------------------------------------------------------------------------------
-- Trigger functions
-- ---------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
  NEW.updated_at = NOW();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION update_review_complaint_flags()
RETURNS TRIGGER AS $$
BEGIN
  NEW.has_complaint_draft = (NEW.complaint_status = 'draft');
  NEW.has_complaint = (NEW.complaint_status IN ('sent', 'approved', 'rejected', 'pending'));
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

-- ---------------------------------------------------------------------------------------
-- Tables, in foreign-key order
-- ---------------------------------------------------------------------------------------

CREATE TABLE users (
  id          TEXT PRIMARY KEY,
  email       TEXT NOT NULL UNIQUE,
  is_approved BOOLEAN NOT NULL DEFAULT FALSE,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE stores (
  id                         TEXT PRIMARY KEY,
  name                       TEXT NOT NULL,
  owner_id                   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,

  -- WB API Tokens
  api_token                  TEXT NOT NULL,  -- Main API token
  content_api_token          TEXT NULL,
  feedbacks_api_token        TEXT NULL,
  chat_api_token             TEXT NULL,

  -- Auto-reply settings
  is_auto_no_reply_enabled   BOOLEAN DEFAULT FALSE,

  -- Sync status tracking
  last_product_update_status  TEXT NULL,
  last_product_update_date    TIMESTAMPTZ NULL,
  last_product_update_error   TEXT NULL,

  last_review_update_status   TEXT NULL,
  last_review_update_date     TIMESTAMPTZ NULL,
  last_review_update_error    TEXT NULL,

  last_chat_update_status     TEXT NULL,
  last_chat_update_date       TIMESTAMPTZ NULL,
  last_chat_update_next       TEXT NULL,
  last_chat_update_error      TEXT NULL,

  last_question_update_status TEXT NULL,
  last_question_update_date   TIMESTAMPTZ NULL,
  last_question_update_error  TEXT NULL,

  -- Denormalized counts (for performance)
  total_reviews              INTEGER DEFAULT 0,
  total_chats                INTEGER DEFAULT 0,
  chat_tag_counts            JSONB DEFAULT '{}'::jsonb,

  -- AI Personalization
  ai_instructions            TEXT NULL,

  -- Status: 'active' or 'inactive'
  status                     VARCHAR(20) DEFAULT 'active',

  created_at                 TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at                 TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE products (
  id                       TEXT PRIMARY KEY,
  store_id                 TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  owner_id                 TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,

  -- WB product data
  name                     TEXT NOT NULL,
  wb_product_id            TEXT NOT NULL,  -- nmId from WB
  vendor_code              TEXT NOT NULL,
  price                    INTEGER NULL,
  image_url                TEXT NULL,

  -- Cached review count
  review_count             INTEGER DEFAULT 0,

  -- Work status
  is_active                BOOLEAN DEFAULT TRUE,
  work_status              work_status_enum DEFAULT 'not_working',

  -- Compensation settings
  compensation_method      TEXT NULL,

  -- Raw WB API response (for reference)
  wb_api_data              JSONB NULL,

  -- Last review sync for this product
  last_review_update_date  TIMESTAMPTZ NULL,

  created_at               TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at               TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE reviews (
  id                         TEXT PRIMARY KEY,
  product_id                 TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  store_id                   TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  owner_id                   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,

  -- Review content (from WB API)
  rating                     INTEGER NOT NULL,
  text                       TEXT NOT NULL,
  pros                       TEXT NULL,
  cons                       TEXT NULL,
  author                     TEXT NOT NULL,
  date                       TIMESTAMPTZ NOT NULL,

  -- WB seller response
  answer                     JSONB NULL,

  -- Media attachments
  photo_links                JSONB NULL,
  video                      JSONB NULL,

  -- WB supplier ratings
  supplier_feedback_valuation INTEGER NULL,
  supplier_product_valuation  INTEGER NULL,

  -- Legacy complaint fields (kept for backward compatibility)
  complaint_text             TEXT NULL,
  complaint_sent_date        TIMESTAMPTZ NULL,
  draft_reply                TEXT NULL,
  draft_reply_thread_id      TEXT NULL,

  -- Denormalized flags (for fast filtering)
  is_product_active          BOOLEAN DEFAULT TRUE,
  has_answer                 BOOLEAN DEFAULT FALSE,
  has_complaint              BOOLEAN DEFAULT FALSE,
  has_complaint_draft        BOOLEAN DEFAULT FALSE,

  -- Extension-parsed statuses (from Chrome extension)
  review_status_wb           review_status_wb DEFAULT 'unknown',
  product_status_by_review   product_status_by_review DEFAULT 'unknown',
  chat_status_by_review      chat_status_by_review DEFAULT 'unknown',
  complaint_status           complaint_status DEFAULT 'not_sent',

  -- Complaint metadata (duplicated in review_complaints table)
  complaint_generated_at     TIMESTAMPTZ NULL,
  complaint_reason_id        INTEGER NULL,
  complaint_category         TEXT NULL,

  -- Extension parsing metadata
  purchase_date              TIMESTAMPTZ NULL,
  parsed_at                  TIMESTAMPTZ NULL,  -- When extension parsed this review
  page_number                INTEGER NULL,      -- Page number in WB cabinet

  created_at                 TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at                 TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE review_complaints (
  id                      TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  review_id               TEXT NOT NULL UNIQUE REFERENCES reviews(id) ON DELETE CASCADE,
  store_id                TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  owner_id                TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  product_id              TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,

  -- Complaint content
  complaint_text          TEXT NOT NULL,
  reason_id               INTEGER NOT NULL,  -- WB category ID (11-20)
  reason_name             TEXT NOT NULL,     -- WB category name

  -- Complaint lifecycle
  status                  TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'approved', 'rejected', 'pending')),

  -- Draft stage
  generated_at            TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  regenerated_count       INTEGER DEFAULT 0,
  last_regenerated_at     TIMESTAMPTZ NULL,

  -- Sent stage
  sent_at                 TIMESTAMPTZ NULL,
  sent_by_user_id         TEXT NULL REFERENCES users(id) ON DELETE SET NULL,

  -- WB moderation result
  moderated_at            TIMESTAMPTZ NULL,
  wb_response             TEXT NULL,

  -- AI generation metadata (for cost tracking)
  ai_model                TEXT DEFAULT 'deepseek-chat',
  ai_prompt_tokens        INTEGER NULL,
  ai_completion_tokens    INTEGER NULL,
  ai_total_tokens         INTEGER NULL,
  ai_cost_usd             DECIMAL(10, 6) NULL,
  generation_duration_ms  INTEGER NULL,

  -- Review snapshot (for historical reference)
  review_rating           INTEGER NOT NULL,
  review_text             TEXT NOT NULL,
  review_date             TIMESTAMPTZ NOT NULL,

  -- Product snapshot (for analytics)
  product_name            TEXT NULL,
  product_vendor_code     TEXT NULL,
  product_is_active       BOOLEAN DEFAULT TRUE,

  created_at              TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at              TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE chats (
  id                        TEXT PRIMARY KEY,
  store_id                  TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  owner_id                  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,

  -- Chat metadata
  client_name               TEXT NOT NULL,
  reply_sign                TEXT NOT NULL,

  -- Product context
  product_nm_id             TEXT NULL,
  product_name              TEXT NULL,
  product_vendor_code       TEXT NULL,

  -- Last message preview
  last_message_date         TIMESTAMPTZ NULL,
  last_message_text         TEXT NULL,
  last_message_sender       TEXT NULL,

  -- Chat classification (AI-assigned tag)
  tag                       TEXT NOT NULL DEFAULT 'untagged',
  tag_update_date           TIMESTAMPTZ NULL,

  -- Kanban board status (user-managed)
  status                    TEXT NOT NULL DEFAULT 'inbox',
  completion_reason         TEXT NULL,  -- required when status='closed'

  -- AI draft reply
  draft_reply               TEXT NULL,
  draft_reply_thread_id     TEXT NULL,

  -- No-reply automation (tracking sent messages)
  sent_no_reply_messages    JSONB DEFAULT '[]'::jsonb,
  sent_no_reply_messages2   JSONB DEFAULT '[]'::jsonb,

  created_at                TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at                TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE chat_messages (
  id          TEXT PRIMARY KEY,
  chat_id     TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  store_id    TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  owner_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,

  text        TEXT NULL,
  sender      TEXT NOT NULL,  -- 'client' or 'seller'
  timestamp   TIMESTAMPTZ NOT NULL,
  download_id TEXT NULL,

  created_at  TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE questions (
  id                      TEXT PRIMARY KEY,
  store_id                TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  owner_id                TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,

  text                    TEXT NOT NULL,
  created_date            TIMESTAMPTZ NOT NULL,
  state                   TEXT NOT NULL,
  was_viewed              BOOLEAN DEFAULT FALSE,
  is_answered             BOOLEAN DEFAULT FALSE,

  answer                  JSONB NULL,

  -- Product context
  product_nm_id           INTEGER NOT NULL,
  product_name            TEXT NOT NULL,
  product_supplier_article TEXT NULL,
  product_brand_name      TEXT NULL,

  -- AI draft answer
  draft_reply_thread_id   TEXT NULL,

  created_at              TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at              TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- store_id/owner_id deliberately without foreign keys, as in the document.
CREATE TABLE chat_auto_sequences (
  id                      TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  chat_id                 TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  store_id                TEXT NOT NULL,
  owner_id                TEXT NOT NULL,

  -- Sequence configuration
  sequence_type           VARCHAR(50) NOT NULL DEFAULT 'no_reply_followup',
  messages                JSONB NOT NULL DEFAULT '[]'::jsonb,  -- [{day: 1, text: "..."}, ...]
  current_step            INT NOT NULL DEFAULT 0,
  max_steps               INT NOT NULL DEFAULT 14,

  -- State machine: active -> stopped/completed
  status                  VARCHAR(20) NOT NULL DEFAULT 'active',
  stop_reason             VARCHAR(50),  -- client_replied | stop_message | max_reached | manual

  -- Timestamps
  started_at              TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  last_sent_at            TIMESTAMPTZ,
  next_send_at            TIMESTAMPTZ,
  created_at              TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at              TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE user_settings (
  id                        TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,

  -- API keys
  deepseek_api_key          TEXT NULL,
  openai_api_key            TEXT NULL,
  api_key                   TEXT NULL,  -- Main system API key

  -- AI configuration
  ai_concurrency            INTEGER DEFAULT 5,

  -- Custom prompts (system prompts for Deepseek AI)
  prompt_chat_reply         TEXT NULL,
  prompt_chat_tag           TEXT NULL,
  prompt_chat_deletion_tag  TEXT NULL,
  prompt_deletion_offer     TEXT NULL,
  prompt_question_reply     TEXT NULL,
  prompt_review_complaint   TEXT NULL,
  prompt_review_reply       TEXT NULL,

  -- OpenAI assistants (deprecated)
  assistant_chat_reply      TEXT NULL,
  assistant_chat_tag        TEXT NULL,
  assistant_question_reply  TEXT NULL,
  assistant_review_complaint TEXT NULL,
  assistant_review_reply    TEXT NULL,

  -- Auto-reply messages
  no_reply_messages         JSONB DEFAULT '[]'::jsonb,
  no_reply_trigger_phrase   TEXT NULL,
  no_reply_stop_message     TEXT NULL,

  no_reply_messages2        JSONB DEFAULT '[]'::jsonb,
  no_reply_trigger_phrase2  TEXT NULL,
  no_reply_stop_message2    TEXT NULL,

  created_at                TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at                TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE product_rules (
  id                    TEXT PRIMARY KEY DEFAULT gen_random_uuid()::text,
  product_id            TEXT NOT NULL UNIQUE REFERENCES products(id) ON DELETE CASCADE,
  store_id              TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,

  -- Complaint rules
  submit_complaints     BOOLEAN DEFAULT FALSE,
  complaint_rating_1    BOOLEAN DEFAULT FALSE,
  complaint_rating_2    BOOLEAN DEFAULT FALSE,
  complaint_rating_3    BOOLEAN DEFAULT FALSE,
  complaint_rating_4    BOOLEAN DEFAULT FALSE,

  -- Chat rules
  work_in_chats         BOOLEAN DEFAULT FALSE,
  chat_rating_1         BOOLEAN DEFAULT FALSE,
  chat_rating_2         BOOLEAN DEFAULT FALSE,
  chat_rating_3         BOOLEAN DEFAULT FALSE,
  chat_rating_4         BOOLEAN DEFAULT FALSE,
  chat_strategy         chat_strategy_enum DEFAULT 'both',

  -- Compensation rules
  offer_compensation    BOOLEAN DEFAULT FALSE,
  compensation_type     TEXT NULL,
  max_compensation      TEXT NULL,
  compensation_by       TEXT NULL,

  -- Without time zone, as in the document.
  created_at            TIMESTAMP WITHOUT TIME ZONE DEFAULT NOW(),
  updated_at            TIMESTAMP WITHOUT TIME ZONE DEFAULT NOW()
);

CREATE TABLE ai_logs (
  id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  store_id    TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  owner_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,

  entity_type TEXT NOT NULL,  -- 'review', 'chat', 'question', 'complaint'
  entity_id   TEXT NOT NULL,
  action      TEXT NOT NULL,  -- 'generate_reply', 'generate_complaint', 'classify_chat'

  prompt      TEXT NULL,
  response    TEXT NULL,

  model       TEXT DEFAULT 'deepseek-chat',
  tokens_used INTEGER NULL,
  cost        DECIMAL(10, 6) NULL,

  error       TEXT NULL,
  metadata    JSONB NULL,

  created_at  TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- ---------------------------------------------------------------------------------------
-- Indexes (59 named; with 12 primary keys and 3 UNIQUE constraints, 74 in all)
-- ---------------------------------------------------------------------------------------

-- users (2)
CREATE INDEX idx_users_email ON users(email);
CREATE INDEX idx_users_approved ON users(is_approved);

-- stores (3)
CREATE INDEX idx_stores_owner ON stores(owner_id);
CREATE INDEX idx_stores_name ON stores(name);
CREATE INDEX idx_stores_status ON stores(status);

-- products (7)
CREATE INDEX idx_products_store ON products(store_id);
CREATE INDEX idx_products_wb_id ON products(wb_product_id);
CREATE INDEX idx_products_store_wb_id ON products(store_id, wb_product_id);
CREATE INDEX idx_products_active ON products(is_active);
CREATE INDEX idx_products_work_status ON products(work_status);
CREATE INDEX idx_products_store_active ON products(store_id, is_active, work_status);
CREATE UNIQUE INDEX idx_products_unique_wb_id ON products(store_id, wb_product_id);

-- reviews (10)
CREATE INDEX idx_reviews_store_date ON reviews(store_id, date DESC);
CREATE INDEX idx_reviews_store_rating ON reviews(store_id, rating, date DESC);
CREATE INDEX idx_reviews_product ON reviews(product_id, date DESC);

CREATE INDEX idx_reviews_complaint_status ON reviews(store_id, complaint_status, rating, date DESC)
  WHERE complaint_status = 'not_sent';

CREATE INDEX idx_reviews_complaint_workflow ON reviews(store_id, complaint_status, complaint_generated_at DESC)
  WHERE complaint_status IN ('draft', 'sent', 'pending');

CREATE INDEX idx_reviews_default_filter ON reviews(store_id, rating, is_product_active, complaint_status, date DESC)
  WHERE rating <= 3 AND is_product_active = TRUE AND complaint_status IN ('not_sent', 'draft');

CREATE INDEX idx_reviews_wb_status ON reviews(store_id, review_status_wb, date DESC);
CREATE INDEX idx_reviews_product_status ON reviews(store_id, product_status_by_review, date DESC);

CREATE INDEX idx_reviews_store_answer ON reviews(store_id, has_answer, date DESC);
-- Deviation: the document indexes (store_id, answer, date DESC); see the header.
CREATE INDEX idx_reviews_store_answer_date ON reviews(store_id, date DESC) WHERE answer IS NOT NULL;

-- review_complaints (9)
CREATE INDEX idx_complaints_review ON review_complaints(review_id);
CREATE INDEX idx_complaints_store_status ON review_complaints(store_id, status, created_at DESC);
CREATE INDEX idx_complaints_owner_status ON review_complaints(owner_id, status, created_at DESC);
CREATE INDEX idx_complaints_store_generated ON review_complaints(store_id, generated_at DESC);
CREATE INDEX idx_complaints_store_sent ON review_complaints(store_id, sent_at DESC) WHERE sent_at IS NOT NULL;
CREATE INDEX idx_complaints_status_moderated ON review_complaints(status, moderated_at DESC) WHERE moderated_at IS NOT NULL;
CREATE INDEX idx_complaints_reason ON review_complaints(reason_id, reason_name);
CREATE INDEX idx_complaints_product ON review_complaints(product_id, status);
CREATE INDEX idx_complaints_cost_date ON review_complaints(generated_at DESC, ai_cost_usd) WHERE ai_cost_usd IS NOT NULL;

-- chats (5)
CREATE INDEX idx_chats_store ON chats(store_id);
CREATE INDEX idx_chats_store_tag ON chats(store_id, tag);
CREATE INDEX idx_chats_store_tag_date ON chats(store_id, tag, last_message_date DESC);
CREATE INDEX idx_chats_last_message ON chats(last_message_date DESC);
CREATE INDEX idx_chats_product ON chats(product_nm_id) WHERE product_nm_id IS NOT NULL;

-- chat_messages (2)
CREATE INDEX idx_chat_messages_chat ON chat_messages(chat_id, timestamp DESC);
CREATE INDEX idx_chat_messages_store ON chat_messages(store_id, timestamp DESC);

-- questions (4)
CREATE INDEX idx_questions_store ON questions(store_id);
CREATE INDEX idx_questions_store_answered ON questions(store_id, is_answered);
CREATE INDEX idx_questions_product ON questions(product_nm_id);
CREATE INDEX idx_questions_created ON questions(created_date DESC);

-- chat_auto_sequences (2)
CREATE INDEX idx_auto_sequences_pending ON chat_auto_sequences(next_send_at) WHERE status = 'active';
CREATE INDEX idx_auto_sequences_chat ON chat_auto_sequences(chat_id, status);

-- user_settings (1)
CREATE INDEX idx_user_settings_api_key ON user_settings(api_key);

-- product_rules (6)
CREATE INDEX idx_product_rules_product ON product_rules(product_id);
CREATE INDEX idx_product_rules_store ON product_rules(store_id);
CREATE INDEX idx_product_rules_submit_complaints ON product_rules(submit_complaints);
CREATE INDEX idx_product_rules_work_in_chats ON product_rules(work_in_chats);
CREATE INDEX idx_product_rules_offer_compensation ON product_rules(offer_compensation);
CREATE INDEX idx_product_rules_chat_strategy ON product_rules(chat_strategy);

-- ai_logs (8)
CREATE INDEX idx_ai_logs_store ON ai_logs(store_id);
CREATE INDEX idx_ai_logs_owner ON ai_logs(owner_id);
CREATE INDEX idx_ai_logs_entity ON ai_logs(entity_type, entity_id);
CREATE INDEX idx_ai_logs_action ON ai_logs(action);
CREATE INDEX idx_ai_logs_created ON ai_logs(created_at DESC);
CREATE INDEX idx_ai_logs_error ON ai_logs(error) WHERE error IS NOT NULL;
CREATE INDEX idx_ai_logs_store_date ON ai_logs(store_id, created_at DESC);
CREATE INDEX idx_ai_logs_store_error ON ai_logs(store_id, error) WHERE error IS NOT NULL;

-- ---------------------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------------------

-- Denormalized complaint flags on reviews (as in the document).
CREATE TRIGGER update_reviews_complaint_flags
  BEFORE INSERT OR UPDATE OF complaint_status, complaint_text, complaint_sent_date
  ON reviews
  FOR EACH ROW
  EXECUTE FUNCTION update_review_complaint_flags();

-- updated_at on every table that has it (completion; the document shows reviews only).
CREATE TRIGGER update_users_updated_at
  BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER update_stores_updated_at
  BEFORE UPDATE ON stores
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER update_products_updated_at
  BEFORE UPDATE ON products
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER update_reviews_updated_at
  BEFORE UPDATE ON reviews
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER update_review_complaints_updated_at
  BEFORE UPDATE ON review_complaints
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER update_chats_updated_at
  BEFORE UPDATE ON chats
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER update_questions_updated_at
  BEFORE UPDATE ON questions
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER update_chat_auto_sequences_updated_at
  BEFORE UPDATE ON chat_auto_sequences
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER update_user_settings_updated_at
  BEFORE UPDATE ON user_settings
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER update_product_rules_updated_at
  BEFORE UPDATE ON product_rules
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
