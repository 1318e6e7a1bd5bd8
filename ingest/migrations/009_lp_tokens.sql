-- API tokens for line protocol over HTTP (InfluxDB-compatible /api/v2/write and v1 /write).
-- Each token writes as one registered device: its points get that device and site.
-- Only the SHA-256 (hex) of a token is kept. Tokens are 32 random bytes, so a fast hash is
-- enough: nobody can guess a 256-bit secret, and a slow KDF (scrypt, as device secrets use,
-- which people may choose) would only add CPU to every write. The exact hash also makes the
-- lookup an index probe.
CREATE TABLE lp_tokens (
  id          bigserial PRIMARY KEY,
  token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  device_id   text NOT NULL REFERENCES devices(id),
  site_id     text NOT NULL REFERENCES sites(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE INDEX lp_tokens_device ON lp_tokens (device_id);
