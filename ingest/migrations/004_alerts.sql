-- Alerts and every transition of their life (ARCHITECTURE.md "Alerts, dispatch, disposal").
CREATE TABLE alerts (
  id          uuid PRIMARY KEY,
  key         text NOT NULL,
  rule        text NOT NULL,
  severity    text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  state       text NOT NULL,
  site_id     text NOT NULL,
  device_id   text NOT NULL,
  subject_id  text,
  title_en    text NOT NULL,
  title_zh    text NOT NULL,
  raised_at   timestamptz NOT NULL,
  last_at     timestamptz NOT NULL,
  count       integer NOT NULL DEFAULT 1,
  evidence    jsonb NOT NULL
);
-- One open alert per condition: repeats fold into it.
CREATE UNIQUE INDEX alerts_open_key ON alerts (key) WHERE state NOT IN ('resolved', 'normal');
CREATE INDEX alerts_site_raised ON alerts (site_id, raised_at DESC);

CREATE TABLE alert_transitions (
  id         bigserial PRIMARY KEY,
  alert_id   uuid NOT NULL REFERENCES alerts(id),
  at         timestamptz NOT NULL DEFAULT now(),
  from_state text,
  to_state   text NOT NULL,
  actor      text NOT NULL,
  reason     text
);
CREATE INDEX alert_transitions_alert ON alert_transitions (alert_id, at);
