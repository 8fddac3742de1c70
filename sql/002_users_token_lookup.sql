-- Finds a user from the Bearer token alone (its SHA-256), so that an upload can be refused from its headers before
-- the client sends the body. Tokens are random UUIDs: two users never share one.
create unique index users_token_sha256_key on users (token_sha256);
