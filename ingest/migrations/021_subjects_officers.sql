-- Supervised people (issue 9): as little personal data as the job needs — a
-- pseudonymous reference and a display name, the site, the officer in charge.
-- devices.subject_id (002) names these ids.
CREATE TABLE subjects (
  id           text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  site_id      text NOT NULL REFERENCES sites(id),
  ref          text NOT NULL,
  display_name text NOT NULL,
  officer_id   text REFERENCES users(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  archived_at  timestamptz
);
CREATE INDEX subjects_site ON subjects (site_id);
CREATE INDEX subjects_officer ON subjects (officer_id) WHERE officer_id IS NOT NULL;

-- Where an officer last was (from the phone) and whether they can take a dispatch.
CREATE TABLE officer_positions (
  user_id   text PRIMARY KEY REFERENCES users(id),
  lat       double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lon       double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  acc_m     real,
  at        timestamptz NOT NULL,
  available boolean NOT NULL DEFAULT true
);
