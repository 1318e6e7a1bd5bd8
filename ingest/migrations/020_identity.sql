-- Command-centre identity (issue 9): operator accounts, sessions, API tokens.
-- Passwords are kept only as Argon2id hashes (PHC strings); session and API
-- tokens only as the SHA-256 (hex) of 32 random bytes, so the lookup is an
-- index probe and a leaked table gives no usable token.
CREATE TABLE users (
  id                  text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  username            text NOT NULL,
  display_name        text NOT NULL,
  role                text NOT NULL CHECK (role IN ('administrator', 'supervisor', 'operator', 'officer', 'auditor')),
  -- The root of the subtree this user sees and acts on.
  org_unit_id         text NOT NULL REFERENCES org_units(id),
  password_hash       text NOT NULL,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  -- TOTP (RFC 6238) secret in base32 once enrolled; the last accepted time step stops a code being used twice.
  totp_secret         text,
  totp_enabled        boolean NOT NULL DEFAULT false,
  totp_last_step      bigint,
  failed_logins       integer NOT NULL DEFAULT 0,
  locked_until        timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  disabled_at         timestamptz
);
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE INDEX users_org_unit ON users (org_unit_id);

-- A browser session. `stage` is 'mfa' while a second factor (or its enrolment) is still owed,
-- 'full' once the user is in. Idle timeout: last_seen_at; absolute limit: expires_at.
CREATE TABLE sessions (
  token_hash   text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  user_id      text NOT NULL REFERENCES users(id),
  stage        text NOT NULL CHECK (stage IN ('mfa', 'full')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  ip           text,
  user_agent   text,
  ended_at     timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API tokens for machine clients: act as their owner, narrowed to `scopes`, until `expires_at`.
CREATE TABLE api_tokens (
  id           text PRIMARY KEY,
  token_hash   text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  user_id      text NOT NULL REFERENCES users(id),
  name         text NOT NULL,
  scopes       text[] NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
