-- 0009: one-time personal links that bind a Telegram account to an existing user.
--
-- A user the operator added (or the web product imported) without a Telegram account is
-- linked only by such a link (`/start link_<token>`), never by typing their email once they
-- are approved: knowing an email proves nothing. Issued by `wbrep user add` / `wbrep user
-- link`; valid 7 days, one use (services.access.issue_link_token / link_by_token). Issuing a
-- new link for the same user deletes the older unused ones; used rows stay as the record of
-- who linked the account.

CREATE TABLE user_link_tokens (
  token               TEXT PRIMARY KEY,
  user_id             TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  expires_at          TIMESTAMPTZ NOT NULL,
  used_at             TIMESTAMPTZ NULL,
  used_by_telegram_id BIGINT NULL
);
CREATE INDEX idx_user_link_tokens_user ON user_link_tokens(user_id);
