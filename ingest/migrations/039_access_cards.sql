-- Identification at gates (issue 8). Which access card belongs to whom at
-- which site, so a gate.access read (which carries only the card number) can
-- be judged against the holder's face template (030). Ids only: the person is
-- a subject or staff id, no name or photo. A card handed to someone else is a
-- new row; the old one is revoked (kept, so a replayed read is judged against
-- the holder of the time).
CREATE TABLE access_cards (
  card        text NOT NULL CHECK (length(card) BETWEEN 1 AND 64),
  site_id     text NOT NULL REFERENCES sites(id),
  person_id   text NOT NULL CHECK (person_id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  issued_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  CHECK (revoked_at IS NULL OR revoked_at >= issued_at)
);
-- One live holder per card and site.
CREATE UNIQUE INDEX access_cards_live ON access_cards (site_id, card) WHERE revoked_at IS NULL;
CREATE INDEX access_cards_card ON access_cards (site_id, card, issued_at DESC);
CREATE INDEX access_cards_person ON access_cards (person_id);

-- Each card read a gate camera judged: the 1:1 verdict against the holder's
-- template and the 1:N best match among the people expected at the site, with
-- the scores beside their threshold. The operator's record of who was seen at
-- a door; the mismatch alert (alerts.id) links here by the read's message id.
-- One row per gate.access message (a redelivered read is stored once). A plain
-- table, not a hypertable: card reads are few. So the compression and retention
-- policies of 012 do not reach it: rows stay until deleted.
CREATE TABLE gate_face_checks (
  time          timestamptz NOT NULL,
  msg_id        uuid PRIMARY KEY,
  site_id       text NOT NULL,
  door_id       text NOT NULL,
  -- The gate controller that read the card, and the camera that looked.
  device_id     text NOT NULL,
  camera_id     text NOT NULL,
  granted       boolean NOT NULL,
  -- NULL when the card has no holder at the site.
  holder_id     text,
  outcome       text NOT NULL CHECK (outcome IN ('matched', 'not_matched', 'uncertain', 'no_face', 'no_template', 'unknown_card', 'no_frame')),
  score         real,
  threshold     real,
  faces         smallint NOT NULL DEFAULT 0,
  -- 1:N: the person the face was identified as (NULL: nobody at or above the threshold) and the best score.
  seen_id       text,
  seen_score    real,
  snapshot_ref  text,
  alert_id      uuid
);
CREATE INDEX gate_face_checks_site_time ON gate_face_checks (site_id, time DESC);
CREATE INDEX gate_face_checks_door_time ON gate_face_checks (door_id, time DESC);
