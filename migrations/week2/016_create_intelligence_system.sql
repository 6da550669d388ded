-- 016_create_intelligence_system.sql
-- Week 2, migration 016: market intelligence (raw signals -> insights).
--
-- Creates 2 tables: intelligence_signals, market_insights
-- Adds: 10 indexes, 2 RLS policies, 0 triggers, 3 functions, 7 foreign keys.
-- Functions: create_insight_from_signals(uuid, text, uuid[], uuid),
--            get_active_insights(uuid, integer),
--            get_priority_signals(uuid, integer, integer)
--
-- Counting rule (same in 013..017):
--   * "indexes"  = explicit CREATE [UNIQUE] INDEX statements in this file. The
--                  primary key of each table adds one more index that is NOT
--                  counted; no UNIQUE/EXCLUDE constraints are used, so pg_index
--                  rows for this file's tables = 10 + 2 (PKs) = 12.
--   * "policies" = CREATE POLICY statements (pg_policy rows).
--   * "triggers" = user triggers (pg_trigger with NOT tgisinternal): none here.
--   * "functions"= CREATE OR REPLACE FUNCTION statements (pg_proc rows).
--
-- Idempotent: CREATE TABLE/INDEX IF NOT EXISTS, CREATE OR REPLACE FUNCTION,
-- DROP POLICY IF EXISTS before CREATE POLICY. No BEGIN/COMMIT.

-- priority: 1 = critical ... 5 = low. strength: 0..100.
CREATE TABLE IF NOT EXISTS public.intelligence_signals (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  agent_id      uuid REFERENCES public.agent_registry (id) ON DELETE SET NULL,
  move_id       uuid REFERENCES public.moves (id) ON DELETE SET NULL,
  campaign_id   uuid REFERENCES public.campaigns (id) ON DELETE SET NULL,
  source        text NOT NULL DEFAULT 'manual',
  signal_type   text NOT NULL
                CHECK (signal_type IN ('competitor', 'market', 'customer', 'trend', 'risk', 'opportunity')),
  title         text NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
  strength      numeric(5, 2) NOT NULL DEFAULT 50 CHECK (strength BETWEEN 0 AND 100),
  priority      smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
  status        text NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'reviewed', 'actioned', 'dismissed')),
  detected_at   timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- signal_ids keeps the provenance of an insight; no FK (arrays cannot have one,
-- and insights outlive dismissed signals).
CREATE TABLE IF NOT EXISTS public.market_insights (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id    uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  positioning_id  uuid REFERENCES public.positioning (id) ON DELETE SET NULL,
  created_by      uuid REFERENCES public.users (id) ON DELETE SET NULL,
  title           text NOT NULL,
  summary         text,
  category        text NOT NULL DEFAULT 'market',
  confidence      numeric(5, 2) NOT NULL DEFAULT 0 CHECK (confidence BETWEEN 0 AND 100),
  signal_ids      uuid[] NOT NULL DEFAULT ARRAY[]::uuid[],
  signal_count    integer NOT NULL DEFAULT 0 CHECK (signal_count >= 0),
  status          text NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'archived', 'superseded')),
  valid_until     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- Indexes (10) ------------------------------------------------------------------------
CREATE INDEX IF NOT EXISTS idx_intelligence_signals_workspace_detected
  ON public.intelligence_signals (workspace_id, detected_at DESC);                 -- 1
CREATE INDEX IF NOT EXISTS idx_intelligence_signals_open_priority
  ON public.intelligence_signals (workspace_id, priority, strength DESC)
  WHERE status IN ('new', 'reviewed');                                              -- 2
CREATE INDEX IF NOT EXISTS idx_intelligence_signals_workspace_type
  ON public.intelligence_signals (workspace_id, signal_type);                       -- 3
CREATE INDEX IF NOT EXISTS idx_intelligence_signals_agent_id
  ON public.intelligence_signals (agent_id);                                        -- 4
CREATE INDEX IF NOT EXISTS idx_intelligence_signals_move_id
  ON public.intelligence_signals (move_id);                                         -- 5
CREATE INDEX IF NOT EXISTS idx_intelligence_signals_campaign_id
  ON public.intelligence_signals (campaign_id);                                     -- 6
CREATE INDEX IF NOT EXISTS idx_intelligence_signals_payload
  ON public.intelligence_signals USING gin (payload jsonb_path_ops);                -- 7
CREATE INDEX IF NOT EXISTS idx_market_insights_workspace_status
  ON public.market_insights (workspace_id, status, created_at DESC);                -- 8
CREATE INDEX IF NOT EXISTS idx_market_insights_positioning_id
  ON public.market_insights (positioning_id);                                       -- 9
CREATE INDEX IF NOT EXISTS idx_market_insights_signal_ids
  ON public.market_insights USING gin (signal_ids);                                 -- 10

-- Row-level security: tenant isolation on workspace_id (2 policies) -------------------
ALTER TABLE public.intelligence_signals ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.market_insights      ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS intelligence_signals_tenant_isolation ON public.intelligence_signals;
CREATE POLICY intelligence_signals_tenant_isolation ON public.intelligence_signals
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS market_insights_tenant_isolation ON public.market_insights;
CREATE POLICY market_insights_tenant_isolation ON public.market_insights
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- Functions (3) ------------------------------------------------------------------------

-- Builds one market insight from signals of a workspace and returns its id.
-- p_signal_ids NULL = every 'new', unexpired signal of the workspace; otherwise
-- the given signals (ids from other workspaces are ignored). Confidence is the
-- mean strength, category the most frequent signal_type. The signals used are
-- marked 'actioned'. Raises when there is no usable signal.
CREATE OR REPLACE FUNCTION public.create_insight_from_signals(
  p_workspace_id  uuid,
  p_title         text,
  p_signal_ids    uuid[] DEFAULT NULL,
  p_created_by    uuid DEFAULT NULL
)
RETURNS uuid
LANGUAGE plpgsql
AS $function$
DECLARE
  v_ids         uuid[];
  v_count       integer;
  v_confidence  numeric;
  v_category    text;
  v_summary     text;
  v_insight_id  uuid;
BEGIN
  SELECT array_agg(s.id ORDER BY s.priority, s.strength DESC),
         count(*),
         round(avg(s.strength), 2),
         mode() WITHIN GROUP (ORDER BY s.signal_type),
         -- titles joined with '; ' (a literal semicolon inside the body)
         string_agg(s.title, '; ' ORDER BY s.priority, s.strength DESC)
    INTO v_ids, v_count, v_confidence, v_category, v_summary
  FROM public.intelligence_signals AS s
  WHERE s.workspace_id = p_workspace_id
    AND s.status <> 'dismissed'
    AND (s.expires_at IS NULL OR s.expires_at > now())
    AND ((p_signal_ids IS NULL AND s.status = 'new') OR s.id = ANY (p_signal_ids));

  IF v_count = 0 THEN
    RAISE EXCEPTION 'no usable signals in workspace %; nothing to build an insight from', p_workspace_id
      USING ERRCODE = 'no_data_found';
  END IF;

  INSERT INTO public.market_insights
    (workspace_id, created_by, title, summary, category, confidence, signal_ids, signal_count)
  VALUES
    (p_workspace_id, p_created_by,
     coalesce(nullif(btrim(p_title), ''), 'Insight from ' || v_count || ' signal(s)'),
     'Based on: ' || v_summary,
     v_category, v_confidence, v_ids, v_count)
  RETURNING id INTO v_insight_id;

  UPDATE public.intelligence_signals
     SET status = 'actioned'
   WHERE id = ANY (v_ids)
     AND status IN ('new', 'reviewed');

  RETURN v_insight_id;
END;
$function$;

-- Active, unexpired insights of a workspace, most confident first.
CREATE OR REPLACE FUNCTION public.get_active_insights(
  p_workspace_id  uuid,
  p_limit         integer DEFAULT 20
)
RETURNS TABLE (
  insight_id    uuid,
  title         text,
  summary       text,
  category      text,
  confidence    numeric,
  signal_count  integer,
  created_at    timestamptz,
  valid_until   timestamptz
)
LANGUAGE sql
STABLE
AS $$
  SELECT mi.id, mi.title, mi.summary, mi.category, mi.confidence,
         mi.signal_count, mi.created_at, mi.valid_until
  FROM public.market_insights AS mi
  WHERE mi.workspace_id = p_workspace_id
    AND mi.status = 'active'
    AND (mi.valid_until IS NULL OR mi.valid_until > now())
  ORDER BY mi.confidence DESC, mi.created_at DESC
  LIMIT greatest(coalesce(p_limit, 20), 0);
$$;

-- Open ('new' or 'reviewed'), unexpired signals with priority <= p_max_priority
-- (1 = critical), most urgent and strongest first.
CREATE OR REPLACE FUNCTION public.get_priority_signals(
  p_workspace_id  uuid,
  p_max_priority  integer DEFAULT 2,
  p_limit         integer DEFAULT 10
)
RETURNS TABLE (
  signal_id    uuid,
  signal_type  text,
  title        text,
  priority     smallint,
  strength     numeric,
  status       text,
  detected_at  timestamptz
)
LANGUAGE sql
STABLE
AS $$
  SELECT s.id, s.signal_type, s.title, s.priority, s.strength, s.status, s.detected_at
  FROM public.intelligence_signals AS s
  WHERE s.workspace_id = p_workspace_id
    AND s.status IN ('new', 'reviewed')
    AND s.priority <= coalesce(p_max_priority, 2)
    AND (s.expires_at IS NULL OR s.expires_at > now())
  ORDER BY s.priority, s.strength DESC, s.detected_at DESC
  LIMIT greatest(coalesce(p_limit, 10), 0);
$$;
