-- 0013: who may be claimed by typing an email; one spelling per email; rejected owners paused.
--
-- users.link_only: the operator created this user (`wbrep user add`) or issued them a
-- personal link, so only that link binds a Telegram account to them; typing their email in
-- the bot binds nothing (services.access.add_user). Users with a link issued before this
-- migration are marked here.
ALTER TABLE users ADD COLUMN link_only BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE users u SET link_only = TRUE
 WHERE EXISTS (SELECT 1 FROM user_link_tokens t WHERE t.user_id = u.id);

-- Emails in the form services.emails.normalize now stores, as far as SQL can: NFKC, no
-- invisible or format characters, trimmed, lower-case. (Domains were ASCII-only before.) A row
-- whose normal form another row already has, or would get, stays as it is: two people may
-- stand behind it, so an admin decides; admin screens flag it (services.emails.shown).
WITH n AS (
  SELECT id, email,
         lower(btrim(normalize(
           regexp_replace(email, '[\u00AD\u034F\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]', '', 'g'),
           NFKC))) AS norm
    FROM users
)
UPDATE users u SET email = n.norm
  FROM n
 WHERE u.id = n.id AND n.email <> n.norm AND n.norm <> ''
   AND NOT EXISTS (SELECT 1 FROM n o WHERE o.norm = n.norm AND o.id <> n.id);

-- An owner an admin already rejected keeps no running store (a rejection now pauses them).
UPDATE stores s SET status = 'inactive'
  FROM users u
 WHERE u.id = s.owner_id AND u.rejected_at IS NOT NULL AND NOT u.is_approved
   AND s.status = 'active';
