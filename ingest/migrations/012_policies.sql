-- Compression, retention and aggregate refresh, set at every start from the
-- configured ages (VIGIL_COMPRESS_AFTER, VIGIL_RETAIN_FOR) rather than fixed
-- here, so changing a setting needs no migration. Idempotent: each policy is
-- removed and added again. Returns one row per table and feature saying what
-- was done, so the caller can log what this server could not do.
--
-- retain_for NULL keeps data forever. Continuous aggregates keep their rows
-- after the raw chunks are dropped. Their refresh window reaches back exactly
-- retain_for: far enough that history present when the aggregate was created
-- and late data (edge replay) get materialized, since rows below the
-- watermark that were never materialized are invisible even with real-time
-- aggregation; never further, because refreshing a dropped range (dropping
-- logs it as invalidated) would erase those rows. A refresh only recomputes
-- invalidated ranges, so the long window costs little when nothing changed.
-- Caveat: raising retain_for (or going to forever) after chunks were dropped
-- widens the window over those dropped ranges and erases their hourly rows.
CREATE OR REPLACE FUNCTION vigil_apply_policies(compress_after interval, retain_for interval)
RETURNS TABLE (object text, feature text, status text, detail text)
LANGUAGE plpgsql AS $$
DECLARE
  ht        record;
  view_name text;
BEGIN
  IF compress_after IS NULL OR compress_after < interval '1 day' THEN
    RAISE EXCEPTION 'compress_after must be at least 1 day, got %', compress_after USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF retain_for < interval '1 day' THEN
    RAISE EXCEPTION 'retain_for must be at least 1 day or NULL (forever), got %', retain_for USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Several ingest processes may start at once; remove-then-add must not interleave.
  PERFORM pg_advisory_xact_lock(hashtext('vigil_apply_policies'));
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    RETURN QUERY SELECT '*'::text, 'policies'::text, 'skipped'::text, 'plain PostgreSQL: no TimescaleDB extension'::text;
    RETURN;
  END IF;

  FOR ht IN
    SELECT format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass AS tbl, h.hypertable_name::text AS name,
           h.compression_enabled, d.column_name::text AS time_col,
           EXISTS (SELECT 1 FROM information_schema.columns c
                    WHERE c.table_schema = h.hypertable_schema AND c.table_name = h.hypertable_name
                      AND c.column_name = 'device_id') AS has_device
      FROM timescaledb_information.hypertables h
      JOIN timescaledb_information.dimensions d
        ON d.hypertable_schema = h.hypertable_schema AND d.hypertable_name = h.hypertable_name AND d.dimension_number = 1
     WHERE h.hypertable_schema = 'public'
     ORDER BY h.hypertable_name
  LOOP
    object := ht.name;
    feature := 'compression';
    BEGIN
      -- Settings are fixed once chunks are compressed; set them only the first time.
      IF NOT ht.compression_enabled THEN
        EXECUTE format('ALTER TABLE %s SET (timescaledb.compress, timescaledb.compress_segmentby = %L, timescaledb.compress_orderby = %L)',
                       ht.tbl, CASE WHEN ht.has_device THEN 'device_id' ELSE '' END, format('%I DESC', ht.time_col));
      END IF;
      PERFORM remove_compression_policy(ht.tbl, if_exists => true);
      PERFORM add_compression_policy(ht.tbl, compress_after);
      status := 'applied';
      detail := format('after %s, segment by %s', compress_after, CASE WHEN ht.has_device THEN 'device_id' ELSE 'nothing' END);
    EXCEPTION WHEN feature_not_supported THEN
      status := 'unsupported';
      detail := SQLERRM;
    END;
    RETURN NEXT;

    feature := 'retention';
    BEGIN
      PERFORM remove_retention_policy(ht.tbl, if_exists => true);
      IF retain_for IS NULL THEN
        status := 'disabled';
        detail := 'kept forever';
      ELSE
        PERFORM add_retention_policy(ht.tbl, retain_for);
        status := 'applied';
        detail := format('drop after %s', retain_for);
      END IF;
    EXCEPTION WHEN feature_not_supported THEN
      status := 'unsupported';
      detail := SQLERRM;
    END;
    RETURN NEXT;
  END LOOP;

  -- The dashboard aggregates of 011: a refresh policy where they are continuous,
  -- a note where they are plain views.
  feature := 'continuous_aggregate';
  FOREACH view_name IN ARRAY ARRAY['fixes_per_device_hourly', 'events_per_device_hourly', 'alerts_per_site_hourly'] LOOP
    object := view_name;
    IF EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates c WHERE c.view_schema = 'public' AND c.view_name = object) THEN
      BEGIN
        PERFORM remove_continuous_aggregate_policy(object::regclass, if_exists => true);
        PERFORM add_continuous_aggregate_policy(object::regclass, start_offset => retain_for,
          end_offset => interval '1 hour', schedule_interval => interval '30 minutes');
        status := 'applied';
        detail := format('refresh every 30 minutes over the last %s', coalesce(retain_for::text, 'all time'));
      EXCEPTION WHEN feature_not_supported THEN
        status := 'unsupported';
        detail := SQLERRM;
      END;
    ELSE
      status := 'by_query';
      detail := 'ordinary view, aggregated when queried';
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;
