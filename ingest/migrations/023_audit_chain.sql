-- The audit trail becomes tamper-evident (issue 9): each row carries the hash of
-- the row before it in `seq` order, so a removed or edited record breaks the
-- chain at that point. From where (ip) and the outcome are recorded too.
ALTER TABLE audit_log
  ADD COLUMN ip        text,
  ADD COLUMN outcome   text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'denied', 'failed', 'error')),
  ADD COLUMN seq       bigint,
  ADD COLUMN prev_hash text,
  ADD COLUMN hash      text;

-- The hash of one row: SHA-256 over a JSON array of its fields, which has one
-- text form for one content (jsonb normalises the detail object).
CREATE FUNCTION vigil_audit_hash(prev text, seq bigint, at timestamptz, actor text, action text, resource text,
                                 detail jsonb, ip text, outcome text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(jsonb_build_array(prev, seq, (extract(epoch FROM at) * 1000000)::bigint,
                                                    actor, action, resource, detail, ip, outcome)::text, 'UTF8')), 'hex')
$$;

-- Writers are serialised by a transaction-scoped advisory lock, so `seq` has no
-- gaps and each row links to the one committed just before it, whoever wrote it.
CREATE FUNCTION vigil_audit_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('vigil_audit_chain'));
  SELECT a.seq, a.hash INTO last FROM audit_log a WHERE a.seq IS NOT NULL ORDER BY a.seq DESC LIMIT 1;
  NEW.seq := coalesce(last.seq, 0) + 1;
  NEW.prev_hash := last.hash;
  NEW.hash := vigil_audit_hash(NEW.prev_hash, NEW.seq, NEW.at, NEW.actor, NEW.action, NEW.resource, NEW.detail, NEW.ip, NEW.outcome);
  RETURN NEW;
END $$;

-- Rows written before this migration join the chain in id order.
DO $$
DECLARE
  r    record;
  prev text := NULL;
  n    bigint := 0;
BEGIN
  FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
    n := n + 1;
    UPDATE audit_log SET seq = n, prev_hash = prev,
           hash = vigil_audit_hash(prev, n, r.at, r.actor, r.action, r.resource, r.detail, r.ip, r.outcome)
     WHERE id = r.id
     RETURNING hash INTO prev;
  END LOOP;
END $$;

ALTER TABLE audit_log ALTER COLUMN seq SET NOT NULL, ALTER COLUMN hash SET NOT NULL;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION vigil_audit_chain();

-- Nobody changes the trail through SQL either, administrators included: no
-- route updates or deletes it, and the database refuses to.
CREATE FUNCTION vigil_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION vigil_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION vigil_audit_append_only();
