-- Every process keeps the credentials it has checked in memory (core/auth/credential-cache.ts)
-- and forgets them all when this channel says something changed. Only the columns that decide who
-- a credential is, or whether it still works, fire it: last_used_at, last_sign_in_at and
-- updated_at do not, so using a token does not empty every replica's cache.
CREATE FUNCTION "modelgate_credentials_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('modelgate_credentials', TG_TABLE_NAME);
  RETURN NULL;
END $$;

CREATE TRIGGER "access_token_credentials_changed"
  AFTER UPDATE OF "user_id", "prefix", "secret_hash", "revoked_at", "expires_at", "endpoint_id" OR DELETE OR TRUNCATE ON "access_token"
  FOR EACH STATEMENT EXECUTE FUNCTION "modelgate_credentials_changed"();

CREATE TRIGGER "user_credentials_changed"
  AFTER UPDATE OF "username", "password_hash", "role", "active", "session_version" OR DELETE OR TRUNCATE ON "user"
  FOR EACH STATEMENT EXECUTE FUNCTION "modelgate_credentials_changed"();
