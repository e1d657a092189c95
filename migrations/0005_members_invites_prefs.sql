-- 0005: people around a store, and each person's own preferences.
--
-- store_members: managers an owner invited (the owner is stores.owner_id). A manager sees
--   and works only the stores they were invited to; alerts may be switched off per store.
-- store_invites: one-time invite links (t.me/<bot>?start=inv_<token>).
-- user_preferences: a person's own settings, never the store owner's: language, alert
--   threshold (stars, default 3), quiet hours (MSK hours, start inclusive, end exclusive).
-- users.rejected_at: an admin said no; the person is told and cannot use the bot.

CREATE TABLE store_members (
  store_id       TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role           TEXT NOT NULL DEFAULT 'manager' CHECK (role IN ('manager')),
  alerts_enabled BOOLEAN NOT NULL DEFAULT TRUE,
  invited_by     TEXT NULL REFERENCES users(id) ON DELETE SET NULL,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (store_id, user_id)
);
CREATE INDEX idx_store_members_user ON store_members(user_id);

CREATE TABLE store_invites (
  token       TEXT PRIMARY KEY,
  store_id    TEXT NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
  created_by  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  expires_at  TIMESTAMPTZ NOT NULL,
  used_by     TEXT NULL REFERENCES users(id) ON DELETE SET NULL,
  used_at     TIMESTAMPTZ NULL
);
CREATE INDEX idx_store_invites_store ON store_invites(store_id);

CREATE TABLE user_preferences (
  user_id         TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  language        TEXT NULL CHECK (language IN ('ru', 'en')),
  alert_threshold SMALLINT NOT NULL DEFAULT 3 CHECK (alert_threshold BETWEEN 1 AND 5),
  quiet_start     SMALLINT NULL CHECK (quiet_start BETWEEN 0 AND 23),
  quiet_end       SMALLINT NULL CHECK (quiet_end BETWEEN 0 AND 23),
  created_at      TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE TRIGGER update_user_preferences_updated_at
  BEFORE UPDATE ON user_preferences
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

ALTER TABLE users ADD COLUMN rejected_at TIMESTAMPTZ NULL;
