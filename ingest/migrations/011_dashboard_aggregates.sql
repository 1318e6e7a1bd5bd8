-- Hourly counts for the dashboards, one name each on every backend
-- (ARCHITECTURE.md "Storage"): continuous aggregates where TimescaleDB's
-- community (TSL) features are available, ordinary views computed by query
-- otherwise. Columns and bucket edges are the same either way: buckets are
-- whole UTC hours, like time_bucket('1 hour', …).

-- True when TimescaleDB is loaded under its community licence, which holds
-- compression, policies and continuous aggregates; the Apache-2 build has none of them.
CREATE OR REPLACE FUNCTION vigil_timescale_tsl() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
     AND coalesce(current_setting('timescaledb.license', true), '') = 'timescale'
$$;

DO $$
DECLARE
  continuous boolean := vigil_timescale_tsl();
BEGIN
  IF continuous THEN
    BEGIN
      -- materialized_only = false: rows newer than the last refresh come from the
      -- raw table, so counts are exact even where no scheduler runs the refresh.
      EXECUTE $sql$
        CREATE MATERIALIZED VIEW fixes_per_device_hourly
        WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
        SELECT time_bucket('1 hour', time) AS bucket, site_id, device_id, count(*) AS fixes
          FROM tag_fixes
         GROUP BY 1, 2, 3
        WITH NO DATA $sql$;
      EXECUTE $sql$
        CREATE MATERIALIZED VIEW events_per_device_hourly
        WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
        SELECT time_bucket('1 hour', time) AS bucket, site_id, device_id, type, count(*) AS events
          FROM device_events
         GROUP BY 1, 2, 3, 4
        WITH NO DATA $sql$;
      -- Defaults until vigil_apply_policies (012) sets the window from the configured ages.
      PERFORM add_continuous_aggregate_policy('fixes_per_device_hourly',
        start_offset => interval '400 days', end_offset => interval '1 hour', schedule_interval => interval '30 minutes');
      PERFORM add_continuous_aggregate_policy('events_per_device_hourly',
        start_offset => interval '400 days', end_offset => interval '1 hour', schedule_interval => interval '30 minutes');
    EXCEPTION WHEN feature_not_supported THEN
      RAISE NOTICE 'continuous aggregates not supported here (%); dashboard views aggregate by query', SQLERRM;
      continuous := false;
    END;
  END IF;

  IF NOT continuous THEN
    CREATE VIEW fixes_per_device_hourly AS
    SELECT date_trunc('hour', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket, site_id, device_id, count(*) AS fixes
      FROM tag_fixes
     GROUP BY 1, 2, 3;
    CREATE VIEW events_per_device_hourly AS
    SELECT date_trunc('hour', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket, site_id, device_id, type, count(*) AS events
      FROM device_events
     GROUP BY 1, 2, 3, 4;
  END IF;
END $$;

-- Alerts are a relational table (one row per condition, updated through its
-- life; ARCHITECTURE.md "Storage"), not a hypertable, so no continuous aggregate
-- can sit on it: on every backend this is a view over alerts_site_raised.
-- An alert counts in the hour it was raised; folded repeats do not add to it.
CREATE VIEW alerts_per_site_hourly AS
SELECT date_trunc('hour', raised_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
       site_id,
       count(*) AS alerts,
       count(*) FILTER (WHERE severity = 'critical') AS critical,
       count(*) FILTER (WHERE severity = 'high') AS high,
       count(*) FILTER (WHERE severity = 'medium') AS medium,
       count(*) FILTER (WHERE severity = 'low') AS low
  FROM alerts
 GROUP BY 1, 2;
