-- When a device's credentials last changed (registered, secret rotated), so the
-- broker can disconnect sessions opened with the old secret at once.
ALTER TABLE devices ADD COLUMN credentials_changed_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX devices_credentials_changed ON devices (credentials_changed_at);
CREATE INDEX devices_revoked ON devices (revoked_at) WHERE revoked_at IS NOT NULL;
