-- 010_audit_security.sql
-- Week 1 baseline, step 10: audit trail, sessions, rate limiting, feature flags.
-- Tables: audit_log, sessions, login_events, rate_limits, feature_flags.
-- audit_log and login_events are append-only and deliberately have no FKs:
-- they must survive deletion of the workspace / user they describe.
-- Idempotent; no BEGIN/COMMIT.

CREATE TABLE IF NOT EXISTS public.audit_log (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid,
  actor_id      uuid,
  action        text NOT NULL,
  entity_type   text NOT NULL,
  entity_id     uuid,
  changes       jsonb NOT NULL DEFAULT '{}'::jsonb,
  ip            inet,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_audit_log_workspace_created_at ON public.audit_log (workspace_id, created_at DESC);

CREATE TABLE IF NOT EXISTS public.sessions (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  user_agent      text,
  ip              inet,
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_active_at  timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL DEFAULT (now() + interval '30 days'),
  revoked_at      timestamptz
);
CREATE INDEX IF NOT EXISTS idx_sessions_user_id ON public.sessions (user_id);

CREATE TABLE IF NOT EXISTS public.login_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     uuid,
  email       text NOT NULL,
  success     boolean NOT NULL,
  ip          inet,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.rate_limits (
  key            text PRIMARY KEY,
  window_start   timestamptz NOT NULL DEFAULT now(),
  request_count  integer NOT NULL DEFAULT 0,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.feature_flags (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key              text NOT NULL,
  description      text,
  enabled          boolean NOT NULL DEFAULT false,
  rollout_percent  integer NOT NULL DEFAULT 0 CHECK (rollout_percent BETWEEN 0 AND 100),
  rules            jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT feature_flags_key_key UNIQUE (key)
);
