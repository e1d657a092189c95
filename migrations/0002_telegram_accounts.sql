-- 0002_telegram_accounts.sql: the bot's first own table, linking a Telegram account to a
-- user. One account per user and one user per account; deleting the user removes the link.
-- is_blocked records that the person blocked the bot (sends to them are skipped).

CREATE TABLE telegram_accounts (
  telegram_id   BIGINT PRIMARY KEY,
  user_id       TEXT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
  username      TEXT NULL,
  first_name    TEXT NULL,
  language_code TEXT NULL,
  is_blocked    BOOLEAN NOT NULL DEFAULT FALSE,  -- the person blocked the bot
  created_at    TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TRIGGER update_telegram_accounts_updated_at
  BEFORE UPDATE ON telegram_accounts
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
