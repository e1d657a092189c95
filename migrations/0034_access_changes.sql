-- 0034: who may act changes rarely and is read on every update (the identity of the person
-- writing, their role on the store a button names). Each bot process keeps what it read and
-- forgets all of it when PostgreSQL says any of it may have changed: a statement that
-- changes the rows these reads depend on notifies channel `wbrep_access` after it commits
-- (services/access_cache.py; docs/decisions.md "Press cost", fourth pass).
CREATE FUNCTION wbrep_notify_access() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('wbrep_access', TG_TABLE_NAME);
  RETURN NULL;
END;
$$;

-- The identity: the account, its user, their preferences.
CREATE TRIGGER telegram_accounts_access_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON telegram_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION wbrep_notify_access();
CREATE TRIGGER users_access_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION wbrep_notify_access();
CREATE TRIGGER user_preferences_access_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_preferences
  FOR EACH STATEMENT EXECUTE FUNCTION wbrep_notify_access();

-- A role on a store: the store and its owner, and its managers; a person's stores as a
-- picker shows them (name, status). Not a store's sync columns, written by every sync.
CREATE TRIGGER stores_access_changed
  AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF owner_id, name, status ON stores
  FOR EACH STATEMENT EXECUTE FUNCTION wbrep_notify_access();
CREATE TRIGGER store_members_access_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON store_members
  FOR EACH STATEMENT EXECUTE FUNCTION wbrep_notify_access();
