-- 0006: who decided on a registration, and invites that wait for the approval.
--
-- users.decided_*: the admin (Telegram id and the name shown then) whose decision stands, so
--   a second press on an old registration card can say who decided and when.
-- pending_invites: a person who opened an invite link before being approved; the invite is
--   applied (services.members.accept_invite) when an admin approves them. The token is kept
--   as typed (no foreign key): an unknown one is reported to the person at that moment.

ALTER TABLE users ADD COLUMN decided_at TIMESTAMPTZ NULL;
ALTER TABLE users ADD COLUMN decided_by BIGINT NULL;
ALTER TABLE users ADD COLUMN decided_by_name TEXT NULL;

CREATE TABLE pending_invites (
  user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  token      TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
