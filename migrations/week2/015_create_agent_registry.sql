-- 015_create_agent_registry.sql
-- Week 2, migration 015: AI agent registry, capabilities, assignments, performance.
--
-- Creates 4 tables: agent_registry, agent_capabilities, agent_assignments,
--                   agent_performance
-- Adds: 15 indexes, 4 RLS policies, 0 triggers, 1 function, 13 foreign keys.
-- Function: record_agent_execution(uuid, boolean, integer, integer, numeric,
--                                  uuid, uuid, text, jsonb)
--
-- Counting rule (same in 013..017):
--   * "indexes"  = explicit CREATE [UNIQUE] INDEX statements in this file (2 of
--                  the 15 are UNIQUE indexes and are counted here). The primary
--                  key of each table adds one more index that is NOT counted;
--                  no UNIQUE/EXCLUDE constraints are used, so pg_index rows for
--                  this file's tables = 15 + 4 (PKs) = 19.
--   * "policies" = CREATE POLICY statements (pg_policy rows).
--   * "triggers" = user triggers (pg_trigger with NOT tgisinternal): none here.
--   * "functions"= CREATE OR REPLACE FUNCTION statements (pg_proc rows).
--
-- Idempotent: CREATE TABLE/INDEX IF NOT EXISTS, CREATE OR REPLACE FUNCTION,
-- DROP POLICY IF EXISTS before CREATE POLICY. No BEGIN/COMMIT.

CREATE TABLE IF NOT EXISTS public.agent_registry (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id      uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  name              text NOT NULL,
  slug              text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
  description       text,
  agent_type        text NOT NULL DEFAULT 'llm'
                    CHECK (agent_type IN ('llm', 'workflow', 'scraper', 'analytics', 'custom')),
  model             text,
  version           text NOT NULL DEFAULT '1.0.0',
  status            text NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'inactive', 'deprecated')),
  config            jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_by        uuid REFERENCES public.users (id) ON DELETE SET NULL,
  last_executed_at  timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.agent_capabilities (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  agent_id      uuid NOT NULL REFERENCES public.agent_registry (id) ON DELETE CASCADE,
  capability    text NOT NULL,
  description   text,
  config        jsonb NOT NULL DEFAULT '{}'::jsonb,
  is_enabled    boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.agent_assignments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  agent_id      uuid NOT NULL REFERENCES public.agent_registry (id) ON DELETE CASCADE,
  move_id       uuid REFERENCES public.moves (id) ON DELETE CASCADE,
  campaign_id   uuid REFERENCES public.campaigns (id) ON DELETE CASCADE,
  assigned_by   uuid REFERENCES public.users (id) ON DELETE SET NULL,
  status        text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
  priority      smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
  input         jsonb NOT NULL DEFAULT '{}'::jsonb,
  assigned_at   timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  completed_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT agent_assignments_target_check CHECK (move_id IS NOT NULL OR campaign_id IS NOT NULL)
);

CREATE TABLE IF NOT EXISTS public.agent_performance (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  agent_id       uuid NOT NULL REFERENCES public.agent_registry (id) ON DELETE CASCADE,
  assignment_id  uuid REFERENCES public.agent_assignments (id) ON DELETE SET NULL,
  move_id        uuid REFERENCES public.moves (id) ON DELETE SET NULL,
  success        boolean NOT NULL,
  duration_ms    integer NOT NULL CHECK (duration_ms >= 0),
  tokens_used    integer NOT NULL DEFAULT 0 CHECK (tokens_used >= 0),
  cost_usd       numeric(12, 6) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
  error_message  text,
  metadata       jsonb NOT NULL DEFAULT '{}'::jsonb,
  executed_at    timestamptz NOT NULL DEFAULT now()
);

-- Indexes (15, of which 2 UNIQUE) ---------------------------------------------------
CREATE UNIQUE INDEX IF NOT EXISTS ux_agent_registry_workspace_slug
  ON public.agent_registry (workspace_id, slug);                                   -- 1
CREATE INDEX IF NOT EXISTS idx_agent_registry_workspace_status
  ON public.agent_registry (workspace_id, status);                                 -- 2
CREATE INDEX IF NOT EXISTS idx_agent_registry_agent_type
  ON public.agent_registry (agent_type);                                           -- 3
CREATE INDEX IF NOT EXISTS idx_agent_registry_created_by
  ON public.agent_registry (created_by);                                           -- 4
CREATE UNIQUE INDEX IF NOT EXISTS ux_agent_capabilities_agent_capability
  ON public.agent_capabilities (agent_id, capability);                             -- 5
CREATE INDEX IF NOT EXISTS idx_agent_capabilities_workspace_id
  ON public.agent_capabilities (workspace_id);                                     -- 6
CREATE INDEX IF NOT EXISTS idx_agent_capabilities_capability
  ON public.agent_capabilities (capability) WHERE is_enabled;                      -- 7
CREATE INDEX IF NOT EXISTS idx_agent_assignments_workspace_status
  ON public.agent_assignments (workspace_id, status);                               -- 8
CREATE INDEX IF NOT EXISTS idx_agent_assignments_agent_status
  ON public.agent_assignments (agent_id, status);                                   -- 9
CREATE INDEX IF NOT EXISTS idx_agent_assignments_move_id
  ON public.agent_assignments (move_id);                                           -- 10
CREATE INDEX IF NOT EXISTS idx_agent_assignments_campaign_id
  ON public.agent_assignments (campaign_id);                                       -- 11
CREATE INDEX IF NOT EXISTS idx_agent_assignments_assigned_by
  ON public.agent_assignments (assigned_by);                                       -- 12
CREATE INDEX IF NOT EXISTS idx_agent_performance_agent_executed
  ON public.agent_performance (agent_id, executed_at DESC);                        -- 13
CREATE INDEX IF NOT EXISTS idx_agent_performance_workspace_executed
  ON public.agent_performance (workspace_id, executed_at DESC);                    -- 14
CREATE INDEX IF NOT EXISTS idx_agent_performance_assignment_id
  ON public.agent_performance (assignment_id);                                     -- 15

-- Row-level security: tenant isolation on workspace_id (4 policies) -----------------
ALTER TABLE public.agent_registry     ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.agent_capabilities ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.agent_assignments  ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.agent_performance  ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS agent_registry_tenant_isolation ON public.agent_registry;
CREATE POLICY agent_registry_tenant_isolation ON public.agent_registry
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS agent_capabilities_tenant_isolation ON public.agent_capabilities;
CREATE POLICY agent_capabilities_tenant_isolation ON public.agent_capabilities
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS agent_assignments_tenant_isolation ON public.agent_assignments;
CREATE POLICY agent_assignments_tenant_isolation ON public.agent_assignments
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS agent_performance_tenant_isolation ON public.agent_performance;
CREATE POLICY agent_performance_tenant_isolation ON public.agent_performance
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- Function (1) ----------------------------------------------------------------------

-- Records one execution of an agent in agent_performance (in the agent's
-- workspace) and returns the new row's id. When p_assignment_id is given, the
-- assignment must belong to the agent; it is closed as 'completed' or 'failed'
-- and its move is used when p_move_id is NULL.
CREATE OR REPLACE FUNCTION public.record_agent_execution(
  p_agent_id       uuid,
  p_success        boolean,
  p_duration_ms    integer,
  p_tokens_used    integer DEFAULT 0,
  p_cost_usd       numeric DEFAULT 0,
  p_assignment_id  uuid DEFAULT NULL,
  p_move_id        uuid DEFAULT NULL,
  p_error_message  text DEFAULT NULL,
  p_metadata       jsonb DEFAULT '{}'::jsonb
)
RETURNS uuid
LANGUAGE plpgsql
AS $function$
DECLARE
  v_workspace_id    uuid;
  v_move_id         uuid := p_move_id;
  v_performance_id  uuid;
BEGIN
  SELECT r.workspace_id INTO v_workspace_id
  FROM public.agent_registry AS r
  WHERE r.id = p_agent_id;

  IF NOT FOUND THEN
    RAISE EXCEPTION 'agent % is not registered', p_agent_id
      USING ERRCODE = 'no_data_found';
  END IF;

  IF p_success IS NULL OR p_duration_ms IS NULL OR p_duration_ms < 0 THEN
    RAISE EXCEPTION 'record_agent_execution: success must be set and duration_ms must be >= 0 (got %)', p_duration_ms;
  END IF;

  IF p_assignment_id IS NOT NULL THEN
    UPDATE public.agent_assignments AS a
       SET status       = CASE WHEN p_success THEN 'completed' ELSE 'failed' END,
           started_at   = coalesce(a.started_at, now() - make_interval(secs => p_duration_ms / 1000.0)),
           completed_at = now()
     WHERE a.id = p_assignment_id
       AND a.agent_id = p_agent_id
    RETURNING coalesce(v_move_id, a.move_id) INTO v_move_id;

    IF NOT FOUND THEN
      RAISE EXCEPTION 'assignment % does not belong to agent %', p_assignment_id, p_agent_id;
    END IF;
  END IF;

  INSERT INTO public.agent_performance
    (workspace_id, agent_id, assignment_id, move_id, success, duration_ms,
     tokens_used, cost_usd, error_message, metadata)
  VALUES
    (v_workspace_id, p_agent_id, p_assignment_id, v_move_id, p_success, p_duration_ms,
     coalesce(p_tokens_used, 0), coalesce(p_cost_usd, 0),
     CASE WHEN p_success THEN NULL ELSE coalesce(p_error_message, 'unknown error') END,
     coalesce(p_metadata, '{}'::jsonb))
  RETURNING id INTO v_performance_id;

  UPDATE public.agent_registry
     SET last_executed_at = now()
   WHERE id = p_agent_id;

  RETURN v_performance_id;
END;
$function$;
