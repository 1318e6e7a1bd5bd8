-- When each subject is asked to check in (issue 8), set by their officer: fixed
-- local times and/or a number of random times inside a daily window. `plan` is
-- the command centre's `CheckinPlan` without the subject, validated by its API:
-- {"times": ["09:00"], "random": {"perDay": 2, "start": "08:00", "end": "20:00", "days": [1,2,3,4,5]}, "timezone": "Asia/Shanghai"}
CREATE TABLE checkin_plans (
  subject_id text PRIMARY KEY REFERENCES subjects(id),
  plan       jsonb NOT NULL CHECK (jsonb_typeof(plan) = 'object'),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
