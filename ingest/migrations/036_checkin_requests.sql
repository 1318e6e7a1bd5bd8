-- Remote check-in requests (issue 8): each time a subject is asked for a selfie,
-- scheduled or at random, with the deadline that `missedCheckins` judges, the
-- liveness challenge shown, and what became of it. The link sent by SMS carries
-- a signed token naming `id`; `used_at` makes it single-use. The judged check-in
-- itself is a row of `checkins` (010), named by `result_msg_id`.
CREATE TABLE checkin_requests (
  id             uuid PRIMARY KEY,
  subject_id     text NOT NULL REFERENCES subjects(id),
  site_id        text NOT NULL REFERENCES sites(id),
  -- The check-in portal the results are recorded under (checkin.result `dev`).
  device_id      text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('scheduled', 'random', 'manual')),
  -- One request per planned slot: a restarted scheduler does not ask twice.
  slot           text NOT NULL,
  challenge      text NOT NULL CHECK (challenge IN ('turn_left', 'turn_right')),
  issued_at      timestamptz NOT NULL,
  due_at         timestamptz NOT NULL,
  grace_ms       integer NOT NULL CHECK (grace_ms >= 0),
  expires_at     timestamptz NOT NULL,
  sent_at        timestamptz,
  send_attempts  integer NOT NULL DEFAULT 0,
  used_at        timestamptz,
  result         text CHECK (result IN ('pass', 'fail', 'review')),
  result_msg_id  uuid,
  challenge_met  boolean,
  challenge_turn_deg real,
  reason         text,
  missed_at      timestamptz,
  UNIQUE (subject_id, slot),
  CHECK (due_at >= issued_at AND expires_at >= due_at)
);
CREATE INDEX checkin_requests_open ON checkin_requests (due_at) WHERE used_at IS NULL AND missed_at IS NULL;
CREATE INDEX checkin_requests_subject ON checkin_requests (subject_id, issued_at DESC);
