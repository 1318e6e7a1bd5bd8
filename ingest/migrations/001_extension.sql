-- TimescaleDB when the server has it; plain PostgreSQL otherwise (ARCHITECTURE.md "Storage").
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS timescaledb;
    EXCEPTION WHEN others THEN
      RAISE NOTICE 'timescaledb available but not loadable (%); using plain tables', SQLERRM;
    END;
  END IF;
END $$;

-- Turn a table into a hypertable when TimescaleDB is loaded; a no-op otherwise.
CREATE OR REPLACE FUNCTION vigil_hypertable(tbl regclass, time_col name, chunk interval) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    EXECUTE format('SELECT create_hypertable(%L, %L, chunk_time_interval => %L::interval, if_not_exists => true)', tbl, time_col, chunk);
  END IF;
END $$;
