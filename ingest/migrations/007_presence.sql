-- Who is connected and since when (issue 3, presence): one row per device, from its
-- retained `agent.status` (the device's birth and will, or the broker's on its behalf).
-- Every status is also kept in device_events; this is the latest one by the envelope's ts,
-- so a late or redelivered older status never overwrites a newer one.
-- No foreign key to devices: a status from a device deleted from the registry is still history.
CREATE TABLE device_presence (
  device_id   text PRIMARY KEY,
  site_id     text NOT NULL,
  online      boolean NOT NULL,
  -- the ts of the status that set `online`: when the device came online or went offline
  since       timestamptz NOT NULL,
  last_msg_id uuid NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_presence_site ON device_presence (site_id, device_id);
