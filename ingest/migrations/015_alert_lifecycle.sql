-- The alarm lifecycle of issue 7 (ISA-18.2 plus dispatch and disposal).
-- "Acknowledged" and "active / returned to normal" are separate dimensions
-- (acked, active); `state` keeps the workflow (raised, acknowledged, shelved,
-- suppressed, out_of_service, dispatched, on_scene, resolved, normal).
ALTER TABLE alerts
  ADD COLUMN acked            boolean NOT NULL DEFAULT false,
  ADD COLUMN active           boolean NOT NULL DEFAULT true,
  ADD COLUMN acked_by         text,
  ADD COLUMN acked_at         timestamptz,
  ADD COLUMN cleared_at       timestamptz,
  ADD COLUMN shelved_until    timestamptz,
  ADD COLUMN shelved_by       text,
  ADD COLUMN shelve_reason    text,
  ADD COLUMN officer_id       text,
  ADD COLUMN dispatched_at    timestamptz,
  ADD COLUMN arrived_at       timestamptz,
  ADD COLUMN resolved_at      timestamptz,
  ADD COLUMN disposition      text,
  ADD COLUMN note             text,
  ADD COLUMN escalation_level smallint NOT NULL DEFAULT 0,
  ADD COLUMN escalated_to     text,
  ADD COLUMN escalated_at     timestamptz,
  ADD COLUMN updated_at       timestamptz NOT NULL DEFAULT now();

-- Rows written before this migration: an acknowledged (or later) alert was acked.
UPDATE alerts SET acked = true WHERE state IN ('acknowledged', 'dispatched', 'on_scene', 'resolved', 'normal');

ALTER TABLE alerts ADD CONSTRAINT alerts_state_known
  CHECK (state IN ('raised', 'acknowledged', 'dispatched', 'on_scene', 'resolved', 'shelved', 'suppressed', 'normal', 'out_of_service'));

-- Sweeps: shelves that expire, unacknowledged alerts that escalate.
CREATE INDEX alerts_shelved_until ON alerts (shelved_until) WHERE state = 'shelved';
CREATE INDEX alerts_unacked ON alerts (raised_at) WHERE NOT acked AND state NOT IN ('resolved', 'normal');
-- Cooldown: the most recently closed alert of a condition.
CREATE INDEX alerts_key_closed ON alerts (key, updated_at DESC) WHERE state IN ('resolved', 'normal');

-- Every transition: who (actor), when (at), why (reason), from and to; the
-- action that caused it and its fields (officer, disposition, until, note).
ALTER TABLE alert_transitions
  ADD COLUMN action text,
  ADD COLUMN detail jsonb;

-- The message (or timer) that last raised or folded the alert: a redelivered
-- message after a crash does not count twice.
ALTER TABLE alerts ADD COLUMN last_cause text;
