-- Face templates for identification at gates and remote check-in (issue 8).
-- Descriptors only (Human's faceres, 1024 numbers each, one per accepted
-- enrolment photo); no photo is kept unless the user asks for it.
CREATE TABLE face_templates (
  person_id   text PRIMARY KEY,
  model       text NOT NULL,
  descriptors jsonb NOT NULL CHECK (jsonb_typeof(descriptors) = 'array' AND jsonb_array_length(descriptors) > 0),
  enrolled_by text NOT NULL,
  enrolled_at timestamptz NOT NULL DEFAULT now()
);
