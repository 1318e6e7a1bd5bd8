-- Zones for issue 7: circles (geometry a GeoJSON Point plus radius_m), weekly
-- schedules with exceptions (JSON, see analytics/src/schedule.ts), curfews,
-- the devices a zone applies to (NULL: every device of the site), and the
-- per-zone breach confirmation (consecutive fixes or seconds).
ALTER TABLE zones
  ADD COLUMN radius_m       double precision CHECK (radius_m > 0),
  ADD COLUMN schedule       jsonb,
  ADD COLUMN curfew         boolean NOT NULL DEFAULT false,
  ADD COLUMN device_ids     text[],
  ADD COLUMN min_fixes      integer CHECK (min_fixes BETWEEN 1 AND 100),
  ADD COLUMN min_duration_s integer CHECK (min_duration_s BETWEEN 1 AND 86400),
  ADD COLUMN grace_s        integer CHECK (grace_s BETWEEN 0 AND 86400),
  ADD COLUMN updated_at     timestamptz NOT NULL DEFAULT now();
