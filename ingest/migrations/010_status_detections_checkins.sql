-- Time series for the analytics issues: device online/offline changes, camera
-- detections, and community-correction check-ins. Same dedupe rule as 003:
-- the envelope's (id, ts) is the key, so a redelivered message is stored once.

-- Each time a device went online or offline. Rows come from the agent.status
-- envelopes ingest stores in device_events (trigger below), so every writer of
-- device_events feeds it in the same transaction and the ingest writer is unchanged.
CREATE TABLE device_status_changes (
  time        timestamptz NOT NULL,
  msg_id      uuid NOT NULL,
  device_id   text NOT NULL,
  site_id     text NOT NULL,
  online      boolean NOT NULL,
  -- Why, when the sender says (body.reason); NULL for a plain birth or last will.
  reason      text,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (msg_id, time)
);
CREATE INDEX device_status_changes_device_time ON device_status_changes (device_id, time DESC);
CREATE INDEX device_status_changes_site_time ON device_status_changes (site_id, time DESC);
SELECT vigil_hypertable('device_status_changes', 'time', '7 days');

-- A status is a change only if it differs from the device's latest earlier one:
-- the broker's presence status and the device's own birth / will both say
-- "online" on one connect, and that is one change, not two.
CREATE FUNCTION vigil_record_status_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  is_online boolean := (NEW.body->>'online')::boolean;
  previous  boolean;
BEGIN
  IF is_online IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT online INTO previous FROM device_status_changes
   WHERE device_id = NEW.device_id AND time < NEW.time
   ORDER BY time DESC LIMIT 1;
  IF previous IS DISTINCT FROM is_online THEN
    INSERT INTO device_status_changes (time, msg_id, device_id, site_id, online, reason)
    VALUES (NEW.time, NEW.msg_id, NEW.device_id, NEW.site_id, is_online, NEW.body->>'reason')
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;

-- AFTER INSERT fires only for rows actually inserted: a duplicate skipped by
-- ON CONFLICT DO NOTHING in the writer adds nothing here.
CREATE TRIGGER device_events_status_change
  AFTER INSERT ON device_events
  FOR EACH ROW WHEN (NEW.type = 'agent.status')
  EXECUTE FUNCTION vigil_record_status_change();

-- Objects a camera's model found in a frame (cam.detection). One message may
-- carry several; det_idx is the position in it, so the key stays (id, ts)-based.
CREATE TABLE detections (
  time         timestamptz NOT NULL,
  msg_id       uuid NOT NULL,
  det_idx      smallint NOT NULL DEFAULT 0,
  device_id    text NOT NULL,
  site_id      text NOT NULL,
  -- The camera's zone (zones.id or a camera-local zone name); NULL for the whole frame.
  zone_id      text,
  label        text NOT NULL,
  score        real NOT NULL CHECK (score BETWEEN 0 AND 1),
  -- Bounding box as the detector reported it (e.g. {"x","y","w","h"} as fractions of the frame).
  box          jsonb,
  -- Where the evidence frame is kept (object-store key or file path), if one was saved.
  snapshot_ref text,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (msg_id, det_idx, time)
);
CREATE INDEX detections_device_time ON detections (device_id, time DESC);
CREATE INDEX detections_site_label_time ON detections (site_id, label, time DESC);
SELECT vigil_hypertable('detections', 'time', '1 day');

-- Remote check-ins of people under community correction (checkin.result):
-- face match and liveness from the phone or kiosk, where it happened, and an
-- officer's review of the doubtful ones.
CREATE TABLE checkins (
  time             timestamptz NOT NULL,
  msg_id           uuid NOT NULL,
  subject_id       text NOT NULL,
  device_id        text NOT NULL,
  site_id          text NOT NULL,
  result           text NOT NULL,
  liveness_score   real CHECK (liveness_score BETWEEN 0 AND 1),
  face_match_score real CHECK (face_match_score BETWEEN 0 AND 1),
  lat              double precision,
  lon              double precision,
  acc_m            real,
  review_state     text NOT NULL DEFAULT 'none' CHECK (review_state IN ('none', 'pending', 'approved', 'rejected')),
  reviewed_by      text,
  reviewed_at      timestamptz,
  received_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (msg_id, time)
);
CREATE INDEX checkins_subject_time ON checkins (subject_id, time DESC);
CREATE INDEX checkins_site_time ON checkins (site_id, time DESC);
CREATE INDEX checkins_review_pending ON checkins (time DESC) WHERE review_state = 'pending';
SELECT vigil_hypertable('checkins', 'time', '7 days');
