-- Generic metrics from InfluxDB line protocol (vigil/v1/<site>/<device>/lp, e.g. Telegraf).
-- Line protocol has no message id: the same point (device, measurement, tag set, time)
-- sent twice is the same point, so this unique key removes duplicates
-- (ON CONFLICT DO NOTHING). jsonb compares tag sets regardless of key order.
CREATE TABLE metrics (
  time        timestamptz NOT NULL,
  site_id     text NOT NULL,
  device_id   text NOT NULL,
  measurement text NOT NULL,
  tags        jsonb NOT NULL,
  fields      jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT metrics_point UNIQUE (device_id, measurement, tags, time)
);
CREATE INDEX metrics_measurement_time ON metrics (measurement, time DESC);
SELECT vigil_hypertable('metrics', 'time', '1 day');
