-- The five-level organisation tree (ministry, province, city, county, township) and its sites.
CREATE TABLE org_units (
  id         text PRIMARY KEY,
  parent_id  text REFERENCES org_units(id),
  level      smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
  name_en    text NOT NULL,
  name_zh    text NOT NULL
);

CREATE TABLE sites (
  id          text PRIMARY KEY,
  org_unit_id text NOT NULL REFERENCES org_units(id),
  kind        text NOT NULL CHECK (kind IN ('prison', 'rehab', 'community')),
  name_en     text NOT NULL,
  name_zh     text NOT NULL
);

-- Devices authenticate to the broker with id + secret; only the scrypt hash is kept.
CREATE TABLE devices (
  id          text PRIMARY KEY,
  site_id     text NOT NULL REFERENCES sites(id),
  kind        text NOT NULL CHECK (kind IN ('tag', 'gate', 'camera', 'agent', 'sensor')),
  subject_id  text,
  secret_hash text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE INDEX devices_site ON devices (site_id);

-- Zones as GeoJSON geometry (Polygon) in WGS 84.
CREATE TABLE zones (
  id        text PRIMARY KEY,
  site_id   text NOT NULL REFERENCES sites(id),
  kind      text NOT NULL CHECK (kind IN ('exclusion', 'inclusion')),
  name_en   text NOT NULL,
  name_zh   text NOT NULL,
  geometry  jsonb NOT NULL,
  active    boolean NOT NULL DEFAULT true
);
