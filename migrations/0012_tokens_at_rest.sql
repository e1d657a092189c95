-- 0012: one-time link and invite tokens are kept only as their SHA-256.
--
-- A backup or a read-only look at the database must not hand out a usable personal link
-- (`/start link_<token>`) or store invite (`/start inv_<token>`). The token itself has enough
-- entropy, so a plain SHA-256 (hex) is stored and rows are found by it
-- (db.secrets.token_hash, the same function as below). Existing rows are converted here;
-- PostgreSQL 11+ has sha256(bytea) built in (no pgcrypto needed).
--
-- WB tokens and users' LLM keys (stores.*api_token, user_settings.deepseek_api_key,
-- openai_api_key) are encrypted instead, which SQL cannot do without the key: the start-up
-- step after the migrations seals them (db.repos.sealed.seal_stored_secrets).

ALTER TABLE user_link_tokens RENAME COLUMN token TO token_hash;
UPDATE user_link_tokens SET token_hash = encode(sha256(convert_to(token_hash, 'UTF8')), 'hex');
ALTER TABLE user_link_tokens ADD CONSTRAINT user_link_tokens_token_hash_sha256
  CHECK (token_hash ~ '^[0-9a-f]{64}$');

ALTER TABLE store_invites RENAME COLUMN token TO token_hash;
UPDATE store_invites SET token_hash = encode(sha256(convert_to(token_hash, 'UTF8')), 'hex');
ALTER TABLE store_invites ADD CONSTRAINT store_invites_token_hash_sha256
  CHECK (token_hash ~ '^[0-9a-f]{64}$');

ALTER TABLE pending_invites RENAME COLUMN token TO token_hash;
UPDATE pending_invites SET token_hash = encode(sha256(convert_to(token_hash, 'UTF8')), 'hex');
ALTER TABLE pending_invites ADD CONSTRAINT pending_invites_token_hash_sha256
  CHECK (token_hash ~ '^[0-9a-f]{64}$');
