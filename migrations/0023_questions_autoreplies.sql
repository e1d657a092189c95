-- 0023: answering buyer questions from the bot, and automatic replies to 4-5 star reviews
-- (services/questions.py, services/autoreplies.py).

-- The bot's draft answer to a question (the AI's or a person's edit); NULL once answered.
ALTER TABLE questions ADD COLUMN draft_reply TEXT NULL;
-- When the people who work the store were told about this unanswered question (batched alerts).
ALTER TABLE questions ADD COLUMN alerted_at TIMESTAMPTZ NULL;
CREATE INDEX questions_unanswered_idx
    ON questions (store_id, created_date DESC, id DESC) WHERE is_answered IS NOT TRUE;

-- A question answer (or reject) in flight or unconfirmed: the same claim as review_publishes.
CREATE TABLE question_publishes (
  question_id TEXT PRIMARY KEY REFERENCES questions(id) ON DELETE CASCADE,
  state       TEXT NOT NULL CHECK (state IN ('publishing', 'unknown')),
  action      TEXT NOT NULL CHECK (action IN ('answer', 'reject')),
  text        TEXT NOT NULL,
  started_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Automatic replies per store: one row per rating (4, 5); no row means 'off'.
CREATE TABLE autoreply_modes (
  store_id TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  rating   SMALLINT NOT NULL CHECK (rating IN (4, 5)),
  mode     TEXT NOT NULL CHECK (mode IN ('off', 'shadow', 'suggest', 'automatic')),
  PRIMARY KEY (store_id, rating)
);

CREATE TABLE autoreply_settings (
  store_id       TEXT PRIMARY KEY REFERENCES stores(id) ON DELETE CASCADE,
  daily_cap      INTEGER NOT NULL DEFAULT 50 CHECK (daily_cap BETWEEN 0 AND 10000),
  cancel_minutes INTEGER NOT NULL DEFAULT 15 CHECK (cancel_minutes BETWEEN 0 AND 1440)
);

CREATE TABLE autoreply_excluded (
  store_id   TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  PRIMARY KEY (store_id, product_id)
);

-- One row per review the automatic replies looked at, ever: the primary key is the
-- "at most one automatic reply per review" rule. state:
--   drafting   claimed by one instance while the LLM drafts (claimed_at, claimed_by)
--   held       hides a complaint (or excluded, or guard refused): left to a person
--   shadow     what would have been sent (shadow mode), never sent
--   suggested  a draft waiting for one tap (suggest mode)
--   scheduled  waits out the cancel window until due_at
--   cancelled  a person pressed "Не отправлять"
--   sending    claimed by one instance, WB call in flight (claimed_at, claimed_by)
--   sent       WB took it
--   skipped    answered meanwhile (on WB or by a person), or over the daily cap when due
CREATE TABLE autoreplies (
  review_id   TEXT PRIMARY KEY REFERENCES reviews(id) ON DELETE CASCADE,
  store_id    TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  product_id  TEXT NOT NULL,
  rating      SMALLINT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('drafting', 'held', 'shadow', 'suggested', 'scheduled',
                                              'cancelled', 'sending', 'sent', 'skipped')),
  reason      TEXT NULL,
  text        TEXT NULL,
  due_at      TIMESTAMPTZ NULL,
  claimed_at  TIMESTAMPTZ NULL,
  claimed_by  TEXT NULL,
  sent_at     TIMESTAMPTZ NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX autoreplies_due_idx ON autoreplies (due_at) WHERE state = 'scheduled';
CREATE INDEX autoreplies_store_day_idx ON autoreplies (store_id, sent_at) WHERE state = 'sent';
CREATE INDEX autoreplies_product_idx ON autoreplies (product_id, created_at);

-- Alerts about new unanswered questions, one row per question and person who works the store
-- (owner, managers with alerts on). 'pending' rows of a person in quiet hours wait; the rest
-- are claimed ('sending') and sent as one batched message per person and store.
CREATE TABLE question_alerts (
  question_id TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  store_id    TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  status      TEXT NOT NULL DEFAULT 'pending'
              CHECK (status IN ('pending', 'sending', 'sent', 'dropped')),
  claimed_at  TIMESTAMPTZ NULL,
  sent_at     TIMESTAMPTZ NULL,
  PRIMARY KEY (question_id, user_id)
);
CREATE INDEX question_alerts_pending_idx ON question_alerts (user_id) WHERE status <> 'sent';
