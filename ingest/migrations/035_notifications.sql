-- Notifications (issue 12): who hears about which alert, on which channel, and
-- what became of each message. Keyed by users(id) of 020; kept in separate
-- tables so the identity tables stay the API's own.

-- How to reach a user, in which language, and when not to (quiet hours in their time zone).
CREATE TABLE notification_contacts (
  user_id            text PRIMARY KEY REFERENCES users(id),
  lang               text NOT NULL DEFAULT 'zh-CN' CHECK (lang IN ('en', 'zh-CN')),
  email              text,
  phone              text CHECK (phone ~ '^\+?[0-9]{5,20}$'),
  time_zone          text NOT NULL DEFAULT 'Asia/Shanghai',
  -- Quiet hours as minutes after local midnight; the window may wrap past midnight.
  quiet_start_min    smallint CHECK (quiet_start_min BETWEEN 0 AND 1439),
  quiet_end_min      smallint CHECK (quiet_end_min BETWEEN 0 AND 1439),
  -- Alerts at or above this severity still get through during quiet hours.
  quiet_bypass_severity text NOT NULL DEFAULT 'critical' CHECK (quiet_bypass_severity IN ('critical', 'high', 'medium', 'low', 'none'))
);

-- Who is on duty at a site, when.
CREATE TABLE on_duty_roster (
  id        bigserial PRIMARY KEY,
  site_id   text NOT NULL REFERENCES sites(id),
  user_id   text NOT NULL REFERENCES users(id),
  starts_at timestamptz NOT NULL,
  ends_at   timestamptz NOT NULL CHECK (ends_at > starts_at)
);
CREATE INDEX on_duty_roster_site ON on_duty_roster (site_id, starts_at);

-- Which alerts go to whom on which channels. A null filter matches everything;
-- org_unit_id matches every site in that unit's subtree. `recipients` and
-- `escalation` are JSON (shapes in command-center/src/notifications/policy.ts);
-- `schedule` limits when the policy applies (weekly windows in a time zone).
CREATE TABLE notification_policies (
  id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  name_en       text NOT NULL,
  name_zh       text NOT NULL,
  org_unit_id   text REFERENCES org_units(id),
  site_id       text REFERENCES sites(id),
  rules         text[],
  min_severity  text NOT NULL DEFAULT 'low' CHECK (min_severity IN ('critical', 'high', 'medium', 'low')),
  subject_id    text,
  recipients    jsonb NOT NULL,
  channels      text[] NOT NULL,
  schedule      jsonb,
  escalation    jsonb NOT NULL DEFAULT '[]',
  enabled       boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- The outbox: every notification is a row before anything is sent. `kind`:
-- one alert ('single'), several of one kind folded into one message
-- ('group'), or a recipient's digest once their rate limit is hit ('digest').
-- `state`: pending -> sending -> sent -> delivered -> read, or retry (with
-- next_attempt_at) and finally dead (the dead letter, with last_error);
-- 'suppressed' records a policy match that quiet hours held back.
CREATE TABLE notifications (
  id              uuid PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('single', 'group', 'digest')),
  channel         text NOT NULL,
  user_id         text,
  address         text NOT NULL,
  lang            text NOT NULL CHECK (lang IN ('en', 'zh-CN')),
  policy_id       text,
  step            smallint NOT NULL DEFAULT 0,
  group_key       text,
  state           text NOT NULL CHECK (state IN ('pending', 'sending', 'retry', 'sent', 'delivered', 'read', 'dead', 'suppressed')),
  attempts        integer NOT NULL DEFAULT 0,
  max_attempts    integer NOT NULL DEFAULT 5,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  delivered_at    timestamptz,
  read_at         timestamptz,
  last_error      text,
  provider_id     text,
  short_code      text,
  payload         jsonb
);
CREATE INDEX notifications_due ON notifications (channel, next_attempt_at) WHERE state IN ('pending', 'retry', 'sending');
CREATE INDEX notifications_provider ON notifications (channel, provider_id) WHERE provider_id IS NOT NULL;
-- An SMS reply quotes a short code; it is looked up with the phone it came from, so codes need only differ per phone.
CREATE INDEX notifications_short_code ON notifications (address, short_code) WHERE short_code IS NOT NULL;

-- Which alerts each notification told of (a group or digest tells of many).
-- The unique key makes routing idempotent: an alert replayed after a restart
-- is not notified twice to the same address on the same channel and step.
CREATE TABLE notification_alerts (
  notification_id uuid NOT NULL REFERENCES notifications(id),
  alert_id        uuid NOT NULL,
  channel         text NOT NULL,
  address         text NOT NULL,
  step            smallint NOT NULL,
  -- What the message said of the alert (rule, severity, titles, site, subject, raised time), so a
  -- message can be written and shown without the alert row.
  summary         jsonb NOT NULL,
  added_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (notification_id, alert_id)
);
CREATE UNIQUE INDEX notification_alerts_once ON notification_alerts (alert_id, channel, address, step);
CREATE INDEX notification_alerts_alert ON notification_alerts (alert_id);
