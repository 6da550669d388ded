-- 013_create_positioning_campaigns.sql
-- Week 2, migration 013: positioning & campaigns.
--
-- Creates 5 tables: positioning, message_architecture, campaigns,
--                   campaign_quests, campaign_cohorts
-- Adds: 12 indexes, 5 RLS policies, 2 triggers, 0 functions, 16 foreign keys.
--
-- Counting rule (same in 013..017):
--   * "indexes"  = explicit CREATE [UNIQUE] INDEX statements in this file. The
--                  primary key of each table adds one more index that is NOT
--                  counted; no UNIQUE/EXCLUDE constraints are used, so
--                  pg_index rows for this file's tables = 12 + 5 (PKs) = 17.
--   * "policies" = CREATE POLICY statements (pg_policy rows).
--   * "triggers" = user triggers (pg_trigger with NOT tgisinternal); the
--                  internal RI triggers behind foreign keys are not counted.
--   * "functions"= CREATE OR REPLACE FUNCTION statements (pg_proc rows).
-- The two updated_at triggers reuse public.set_updated_at() from the Week 1
-- baseline (001); this file defines no function.
--
-- Idempotent: CREATE TABLE/INDEX IF NOT EXISTS, DROP POLICY/TRIGGER IF EXISTS
-- before CREATE. No BEGIN/COMMIT: the runner wraps the file in a transaction.
-- Grants come from the baseline's ALTER DEFAULT PRIVILEGES (001).

CREATE TABLE IF NOT EXISTS public.positioning (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id       uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  name               text NOT NULL,
  target_audience    text,
  value_proposition  text,
  differentiators    jsonb NOT NULL DEFAULT '[]'::jsonb,
  competitors        text[] NOT NULL DEFAULT ARRAY[]::text[],
  status             text NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'active', 'archived')),
  created_by         uuid REFERENCES public.users (id) ON DELETE SET NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.message_architecture (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id       uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  positioning_id     uuid NOT NULL REFERENCES public.positioning (id) ON DELETE CASCADE,
  pillar             text NOT NULL,
  headline           text NOT NULL,
  supporting_points  jsonb NOT NULL DEFAULT '[]'::jsonb,
  tone               text NOT NULL DEFAULT 'neutral',
  priority           smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
  created_by         uuid REFERENCES public.users (id) ON DELETE SET NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.campaigns (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id    uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  positioning_id  uuid REFERENCES public.positioning (id) ON DELETE SET NULL,
  project_id      uuid REFERENCES public.projects (id) ON DELETE SET NULL,
  owner_id        uuid REFERENCES public.users (id) ON DELETE SET NULL,
  name            text NOT NULL,
  objective       text,
  status          text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'planned', 'active', 'paused', 'completed', 'cancelled')),
  budget_cents    bigint NOT NULL DEFAULT 0 CHECK (budget_cents >= 0),
  starts_at       timestamptz,
  ends_at         timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT campaigns_window_check CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at)
);

CREATE TABLE IF NOT EXISTS public.campaign_quests (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  campaign_id   uuid NOT NULL REFERENCES public.campaigns (id) ON DELETE CASCADE,
  move_id       uuid REFERENCES public.moves (id) ON DELETE SET NULL,
  assigned_to   uuid REFERENCES public.users (id) ON DELETE SET NULL,
  title         text NOT NULL,
  description   text,
  xp_reward     integer NOT NULL DEFAULT 50 CHECK (xp_reward >= 0),
  status        text NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'in_progress', 'completed', 'skipped')),
  due_at        timestamptz,
  completed_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.campaign_cohorts (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  campaign_id    uuid NOT NULL REFERENCES public.campaigns (id) ON DELETE CASCADE,
  name           text NOT NULL,
  criteria       jsonb NOT NULL DEFAULT '{}'::jsonb,
  size_estimate  integer CHECK (size_estimate >= 0),
  created_by     uuid REFERENCES public.users (id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Indexes (12) -----------------------------------------------------------------
CREATE INDEX IF NOT EXISTS idx_positioning_workspace_status
  ON public.positioning (workspace_id, status);                                   -- 1
CREATE INDEX IF NOT EXISTS idx_message_architecture_workspace_id
  ON public.message_architecture (workspace_id);                                  -- 2
CREATE INDEX IF NOT EXISTS idx_message_architecture_positioning_priority
  ON public.message_architecture (positioning_id, priority);                      -- 3
CREATE INDEX IF NOT EXISTS idx_campaigns_workspace_status
  ON public.campaigns (workspace_id, status);                                     -- 4
CREATE INDEX IF NOT EXISTS idx_campaigns_positioning_id
  ON public.campaigns (positioning_id);                                           -- 5
CREATE INDEX IF NOT EXISTS idx_campaigns_owner_id
  ON public.campaigns (owner_id);                                                 -- 6
CREATE INDEX IF NOT EXISTS idx_campaigns_active_window
  ON public.campaigns (starts_at, ends_at) WHERE status = 'active';               -- 7
CREATE INDEX IF NOT EXISTS idx_campaign_quests_workspace_id
  ON public.campaign_quests (workspace_id);                                       -- 8
CREATE INDEX IF NOT EXISTS idx_campaign_quests_campaign_status
  ON public.campaign_quests (campaign_id, status);                                -- 9
CREATE INDEX IF NOT EXISTS idx_campaign_quests_move_id
  ON public.campaign_quests (move_id);                                            -- 10
CREATE INDEX IF NOT EXISTS idx_campaign_quests_assigned_to
  ON public.campaign_quests (assigned_to);                                        -- 11
CREATE INDEX IF NOT EXISTS idx_campaign_cohorts_campaign_id
  ON public.campaign_cohorts (campaign_id);                                       -- 12

-- Row-level security: tenant isolation on workspace_id (5 policies) -------------
ALTER TABLE public.positioning          ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.message_architecture ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.campaigns            ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_quests      ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.campaign_cohorts     ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS positioning_tenant_isolation ON public.positioning;
CREATE POLICY positioning_tenant_isolation ON public.positioning
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS message_architecture_tenant_isolation ON public.message_architecture;
CREATE POLICY message_architecture_tenant_isolation ON public.message_architecture
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS campaigns_tenant_isolation ON public.campaigns;
CREATE POLICY campaigns_tenant_isolation ON public.campaigns
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS campaign_quests_tenant_isolation ON public.campaign_quests;
CREATE POLICY campaign_quests_tenant_isolation ON public.campaign_quests
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS campaign_cohorts_tenant_isolation ON public.campaign_cohorts;
CREATE POLICY campaign_cohorts_tenant_isolation ON public.campaign_cohorts
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- Triggers (2): keep updated_at current ------------------------------------------
DROP TRIGGER IF EXISTS trg_positioning_updated_at ON public.positioning;
CREATE TRIGGER trg_positioning_updated_at
  BEFORE UPDATE ON public.positioning
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

DROP TRIGGER IF EXISTS trg_campaigns_updated_at ON public.campaigns;
CREATE TRIGGER trg_campaigns_updated_at
  BEFORE UPDATE ON public.campaigns
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
