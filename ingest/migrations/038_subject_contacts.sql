-- How a supervised subject is reached for remote check-in (issue 8): the mobile
-- number the check-in link is sent to by SMS. Kept apart from `subjects` so the
-- lists and reads of subjects do not carry it; read and set only through the
-- command centre's audited contact routes.
CREATE TABLE subject_contacts (
  subject_id text PRIMARY KEY REFERENCES subjects(id),
  phone      text NOT NULL CHECK (phone ~ '^\+?[0-9]{5,20}$'),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
