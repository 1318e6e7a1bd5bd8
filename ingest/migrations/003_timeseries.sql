-- Time series. The primary key (msg_id, time) removes duplicates inside the
-- database (QoS 1 redelivery, edge replay): the envelope's ts is part of the
-- envelope, so a redelivered message has the same (id, ts).
CREATE TABLE tag_fixes (
  time        timestamptz NOT NULL,
  msg_id      uuid NOT NULL,
  device_id   text NOT NULL,
  site_id     text NOT NULL,
  seq         bigint NOT NULL,
  lat         double precision NOT NULL,
  lon         double precision NOT NULL,
  acc_m       real NOT NULL,
  speed_mps   real,
  heading_deg real,
  alt_m       real,
  sats        smallint,
  src         text,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (msg_id, time)
);
CREATE INDEX tag_fixes_device_time ON tag_fixes (device_id, time DESC);
SELECT vigil_hypertable('tag_fixes', 'time', '1 day');

-- Every other kind: the envelope's type and body.
CREATE TABLE device_events (
  time        timestamptz NOT NULL,
  msg_id      uuid NOT NULL,
  device_id   text NOT NULL,
  site_id     text NOT NULL,
  seq         bigint NOT NULL,
  type        text NOT NULL,
  body        jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (msg_id, time)
);
CREATE INDEX device_events_device_time ON device_events (device_id, time DESC);
SELECT vigil_hypertable('device_events', 'time', '1 day');

-- Nothing invalid is dropped silently: it lands here with the reason.
CREATE TABLE dead_letters (
  id          bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  source      text NOT NULL,
  topic       text NOT NULL,
  payload     bytea NOT NULL,
  code        text NOT NULL,
  field       text NOT NULL,
  reason      text NOT NULL
);
