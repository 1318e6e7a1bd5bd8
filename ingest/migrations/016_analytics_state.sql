-- Analytics restart safety (issue 7): a snapshot of the rules' state and
-- pending timers per partition, and the causes already applied to alerts so
-- that replaying the stream after a crash never raises or counts twice.
CREATE TABLE analytics_snapshots (
  -- "<index>/<count>": the share of the devices this snapshot belongs to.
  partition  text PRIMARY KEY,
  taken_at   timestamptz NOT NULL DEFAULT now(),
  -- Event time (ms) the engine had reached.
  watermark  bigint NOT NULL,
  state      jsonb NOT NULL
);

CREATE TABLE alert_causes (
  key        text NOT NULL,
  cause      text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (key, cause)
);
CREATE INDEX alert_causes_at ON alert_causes (at);

-- The rule settings that are not zones (thresholds, doors, areas, victim
-- pairs, subjects) as one JSON document per rule set; analytics reads 'default'.
CREATE TABLE analytics_rule_sets (
  id          text PRIMARY KEY,
  config      jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
