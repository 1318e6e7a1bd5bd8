-- Commands sent from the command centre (CommandRequest on vigil/v1/<site>/<device>/cmd/<name>)
-- and the device's answer (CommandResult on .../res), matched by the command id.
CREATE TABLE device_commands (
  id           uuid PRIMARY KEY,
  device_id    text NOT NULL,
  site_id      text NOT NULL,
  name         text NOT NULL,
  args         jsonb NOT NULL DEFAULT '{}'::jsonb,
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  status       text NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'ok', 'error', 'refused')),
  detail       text,
  result       jsonb,
  replayed     boolean,
  answered_at  timestamptz
);
CREATE INDEX device_commands_device ON device_commands (device_id, requested_at DESC);

-- Where a camera's live stream is (RTSP), for re-serving to the browser.
ALTER TABLE devices ADD COLUMN stream_url text;
