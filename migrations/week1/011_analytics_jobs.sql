-- 011_analytics_jobs.sql
-- Week 1 baseline, step 11: product analytics, background jobs, system settings.
-- Tables: events, page_views, background_jobs, system_settings, error_logs.
-- High-volume, append-only tables: no FKs by design (write throughput, and
-- rows are kept for aggregate reporting after a workspace is deleted).
-- Idempotent; no BEGIN/COMMIT.

CREATE TABLE IF NOT EXISTS public.events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid,
  user_id       uuid,
  name          text NOT NULL,
  properties    jsonb NOT NULL DEFAULT '{}'::jsonb,
  occurred_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_events_workspace_occurred_at ON public.events (workspace_id, occurred_at DESC);

CREATE TABLE IF NOT EXISTS public.page_views (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid,
  user_id       uuid,
  path          text NOT NULL,
  referrer      text,
  viewed_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.background_jobs (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid,
  queue         text NOT NULL DEFAULT 'default',
  job_type      text NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
  status        text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'done', 'failed')),
  attempts      integer NOT NULL DEFAULT 0,
  run_after     timestamptz NOT NULL DEFAULT now(),
  locked_at     timestamptz,
  finished_at   timestamptz,
  last_error    text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_background_jobs_queue_status_run_after
  ON public.background_jobs (queue, status, run_after);

CREATE TABLE IF NOT EXISTS public.system_settings (
  key          text PRIMARY KEY,
  value        jsonb NOT NULL,
  description  text,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.error_logs (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid,
  source        text NOT NULL,
  level         text NOT NULL DEFAULT 'error' CHECK (level IN ('warning', 'error', 'fatal')),
  message       text NOT NULL,
  context       jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT now()
);
