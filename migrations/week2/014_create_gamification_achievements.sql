-- 014_create_gamification_achievements.sql
-- Week 2, migration 014: gamification (XP, levels, achievements).
--
-- Creates 3 tables: achievements, user_achievements, user_stats
-- Adds: 10 indexes, 5 RLS policies, 0 triggers, 3 functions, 7 foreign keys.
-- Functions: calculate_move_success_rate(uuid),
--            update_experience_level(uuid, uuid, integer),
--            unlock_achievement(uuid, uuid)
--
-- Counting rule (same in 013..017):
--   * "indexes"  = explicit CREATE [UNIQUE] INDEX statements in this file (3 of
--                  the 10 are UNIQUE indexes and are counted here). The primary
--                  key of each table adds one more index that is NOT counted;
--                  no UNIQUE/EXCLUDE constraints are used, so pg_index rows for
--                  this file's tables = 10 + 3 (PKs) = 13.
--   * "policies" = CREATE POLICY statements (pg_policy rows).
--   * "triggers" = user triggers (pg_trigger with NOT tgisinternal): none here.
--   * "functions"= CREATE OR REPLACE FUNCTION statements (pg_proc rows).
--
-- Idempotent: CREATE TABLE/INDEX IF NOT EXISTS, CREATE OR REPLACE FUNCTION,
-- DROP POLICY IF EXISTS before CREATE POLICY. No BEGIN/COMMIT.

CREATE TABLE IF NOT EXISTS public.achievements (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  code          text NOT NULL CHECK (code ~ '^[a-z0-9_]+$'),
  name          text NOT NULL,
  description   text,
  category      text NOT NULL DEFAULT 'milestone'
                CHECK (category IN ('moves', 'campaigns', 'streaks', 'social', 'milestone')),
  xp_reward     integer NOT NULL DEFAULT 100 CHECK (xp_reward >= 0),
  icon          text,
  criteria      jsonb NOT NULL DEFAULT '{}'::jsonb,
  is_active     boolean NOT NULL DEFAULT true,
  created_by    uuid REFERENCES public.users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.user_achievements (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id    uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  achievement_id  uuid NOT NULL REFERENCES public.achievements (id) ON DELETE CASCADE,
  source          text NOT NULL DEFAULT 'system',
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  unlocked_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.user_stats (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id           uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  user_id                uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  experience_points      bigint NOT NULL DEFAULT 0 CHECK (experience_points >= 0),
  level                  integer NOT NULL DEFAULT 1 CHECK (level >= 1),
  moves_completed        integer NOT NULL DEFAULT 0 CHECK (moves_completed >= 0),
  moves_failed           integer NOT NULL DEFAULT 0 CHECK (moves_failed >= 0),
  achievements_unlocked  integer NOT NULL DEFAULT 0 CHECK (achievements_unlocked >= 0),
  current_streak_days    integer NOT NULL DEFAULT 0,
  longest_streak_days    integer NOT NULL DEFAULT 0,
  last_activity_at       timestamptz,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);

-- Indexes (10, of which 3 UNIQUE) ---------------------------------------------------
CREATE UNIQUE INDEX IF NOT EXISTS ux_achievements_workspace_code
  ON public.achievements (workspace_id, code);                                     -- 1
CREATE INDEX IF NOT EXISTS idx_achievements_workspace_category
  ON public.achievements (workspace_id, category) WHERE is_active;                 -- 2
CREATE INDEX IF NOT EXISTS idx_achievements_created_by
  ON public.achievements (created_by);                                             -- 3
CREATE UNIQUE INDEX IF NOT EXISTS ux_user_achievements_user_achievement
  ON public.user_achievements (user_id, achievement_id);                           -- 4
CREATE INDEX IF NOT EXISTS idx_user_achievements_workspace_unlocked
  ON public.user_achievements (workspace_id, unlocked_at DESC);                    -- 5
CREATE INDEX IF NOT EXISTS idx_user_achievements_achievement_id
  ON public.user_achievements (achievement_id);                                    -- 6
CREATE UNIQUE INDEX IF NOT EXISTS ux_user_stats_workspace_user
  ON public.user_stats (workspace_id, user_id);                                    -- 7
CREATE INDEX IF NOT EXISTS idx_user_stats_user_id
  ON public.user_stats (user_id);                                                  -- 8
CREATE INDEX IF NOT EXISTS idx_user_stats_leaderboard
  ON public.user_stats (workspace_id, experience_points DESC);                      -- 9
CREATE INDEX IF NOT EXISTS idx_user_stats_last_activity
  ON public.user_stats (last_activity_at);                                         -- 10

-- Row-level security: tenant isolation on workspace_id (5 policies) -----------------
ALTER TABLE public.achievements      ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_achievements ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_stats        ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS achievements_tenant_isolation ON public.achievements;
CREATE POLICY achievements_tenant_isolation ON public.achievements
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS user_achievements_tenant_select ON public.user_achievements;
CREATE POLICY user_achievements_tenant_select ON public.user_achievements
  FOR SELECT TO authenticated
  USING (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS user_achievements_tenant_insert ON public.user_achievements;
CREATE POLICY user_achievements_tenant_insert ON public.user_achievements
  FOR INSERT TO authenticated
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS user_stats_tenant_select ON public.user_stats;
CREATE POLICY user_stats_tenant_select ON public.user_stats
  FOR SELECT TO authenticated
  USING (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS user_stats_tenant_update ON public.user_stats;
CREATE POLICY user_stats_tenant_update ON public.user_stats
  FOR UPDATE TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- Functions (3) --------------------------------------------------------------------

-- Share of finished moves (completed + failed) that completed, in percent with
-- two decimals; 0 when the workspace has no finished move. Reads the Week 1
-- moves table.
CREATE OR REPLACE FUNCTION public.calculate_move_success_rate(p_workspace_id uuid)
RETURNS numeric
LANGUAGE sql
STABLE
AS $$
  SELECT CASE
           WHEN count(*) FILTER (WHERE m.status IN ('completed', 'failed')) = 0 THEN 0::numeric
           ELSE round(
             100.0 * count(*) FILTER (WHERE m.status = 'completed')
                   / count(*) FILTER (WHERE m.status IN ('completed', 'failed')),
             2)
         END
  FROM public.moves AS m
  WHERE m.workspace_id = p_workspace_id;
$$;

-- Adds p_xp_delta XP (may be negative; XP never drops below 0) to the user's
-- stats in the workspace, creating the stats row on first use, recomputes the
-- level (level n starts at 100 * (n - 1)^2 XP) and returns the new level.
CREATE OR REPLACE FUNCTION public.update_experience_level(
  p_user_id       uuid,
  p_workspace_id  uuid,
  p_xp_delta      integer DEFAULT 0
)
RETURNS integer
LANGUAGE plpgsql
AS $function$
DECLARE
  v_level integer;
BEGIN
  IF p_user_id IS NULL OR p_workspace_id IS NULL THEN
    RAISE EXCEPTION 'update_experience_level: user and workspace are required';
  END IF;

  IF NOT EXISTS (
    SELECT 1 FROM public.workspace_members m
    WHERE m.workspace_id = p_workspace_id AND m.user_id = p_user_id
  ) THEN
    RAISE EXCEPTION 'user % is not a member of workspace %', p_user_id, p_workspace_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;

  INSERT INTO public.user_stats AS s (workspace_id, user_id, experience_points, level, last_activity_at)
  VALUES (p_workspace_id, p_user_id,
          greatest(coalesce(p_xp_delta, 0), 0),
          floor(sqrt(greatest(coalesce(p_xp_delta, 0), 0) / 100.0))::integer + 1,
          now())
  ON CONFLICT (workspace_id, user_id) DO UPDATE
    SET experience_points = greatest(s.experience_points + coalesce(p_xp_delta, 0), 0),
        level = floor(sqrt(greatest(s.experience_points + coalesce(p_xp_delta, 0), 0) / 100.0))::integer + 1,
        last_activity_at = now(),
        updated_at = now()
  RETURNING s.level INTO v_level;

  RETURN v_level;
END;
$function$;

-- Unlocks an achievement for a user (in the achievement's workspace): inserts
-- into user_achievements, grants the achievement's XP and bumps
-- user_stats.achievements_unlocked. Returns true when newly unlocked, false
-- when it was already unlocked or the achievement is inactive.
CREATE OR REPLACE FUNCTION public.unlock_achievement(
  p_user_id         uuid,
  p_achievement_id  uuid
)
RETURNS boolean
LANGUAGE plpgsql
AS $function$
DECLARE
  v_workspace_id  uuid;
  v_xp_reward     integer;
  v_is_active     boolean;
  v_unlocked_id   uuid;
BEGIN
  SELECT a.workspace_id, a.xp_reward, a.is_active
    INTO v_workspace_id, v_xp_reward, v_is_active
  FROM public.achievements AS a
  WHERE a.id = p_achievement_id;

  IF NOT FOUND THEN
    RAISE EXCEPTION 'achievement % does not exist', p_achievement_id
      USING ERRCODE = 'no_data_found';
  END IF;

  IF NOT v_is_active THEN
    RETURN false;
  END IF;

  INSERT INTO public.user_achievements (workspace_id, user_id, achievement_id)
  VALUES (v_workspace_id, p_user_id, p_achievement_id)
  ON CONFLICT (user_id, achievement_id) DO NOTHING
  RETURNING id INTO v_unlocked_id;

  IF v_unlocked_id IS NULL THEN
    RETURN false;  -- already unlocked: don't grant the XP twice
  END IF;

  -- creates the stats row if needed (and checks membership)
  PERFORM public.update_experience_level(p_user_id, v_workspace_id, v_xp_reward);

  UPDATE public.user_stats
     SET achievements_unlocked = achievements_unlocked + 1,
         updated_at = now()
   WHERE workspace_id = v_workspace_id
     AND user_id = p_user_id;

  RETURN true;
END;
$function$;
