-- A QoS 1 redelivery of an invalid message (ingest restarted before its PUBACK,
-- or a publisher retrying) used to add a second dead letter. A redelivery is the
-- same bytes on the same topic, so (source, topic, sha256 of the payload) is its
-- key, and the writer inserts with ON CONFLICT DO NOTHING, like the valid tables.
--
-- Genuine repeats of identical bytes on one topic (a device sending the same
-- broken payload again, or the same bad line in two line-protocol payloads)
-- are folded into the first row too. Acceptable: a dead letter is evidence for
-- fixing a sender, and a second copy of identical bytes adds no evidence;
-- received_at keeps the first time it was seen, and how often invalid messages
-- arrive is counted by vigil_ingest_dead_letters_total{code} (src/metrics.ts).
--
-- The hash is a stored generated column, computed by the database on every
-- insert path (INSERT, COPY through a temporary table), so no writer can store
-- a row without it or with a different one; adding it fills existing rows.
ALTER TABLE dead_letters
  ADD COLUMN payload_sha256 bytea GENERATED ALWAYS AS (sha256(payload)) STORED,
  -- Rows folded into this one by this migration's backfill (new rows: 1).
  ADD COLUMN occurrences integer NOT NULL DEFAULT 1;

-- Backfill: keep the first of each group of duplicates, counting the rest.
UPDATE dead_letters d
SET occurrences = g.n
FROM (SELECT min(id) AS id, count(*)::int AS n FROM dead_letters GROUP BY source, topic, payload_sha256 HAVING count(*) > 1) g
WHERE d.id = g.id;

DELETE FROM dead_letters d
USING dead_letters k
WHERE d.source = k.source AND d.topic = k.topic AND d.payload_sha256 = k.payload_sha256 AND d.id > k.id;

CREATE UNIQUE INDEX dead_letters_dedupe ON dead_letters (source, topic, payload_sha256);
