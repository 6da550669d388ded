-- 005_moves.sql
-- Week 1 baseline, step 5: marketing "moves" (a unit of marketing work).
-- Tables: move_templates, moves, move_steps, move_metrics.
-- moves.status: 'planned' -> 'active' -> 'completed' | 'failed' (or 'cancelled').
-- Idempotent; no BEGIN/COMMIT.

-- workspace_id NULL = a global template shipped with the product.
CREATE TABLE IF NOT EXISTS public.move_templates (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id   uuid REFERENCES public.workspaces (id) ON DELETE CASCADE,
  name           text NOT NULL,
  description    text,
  category       text NOT NULL DEFAULT 'general',
  default_steps  jsonb NOT NULL DEFAULT '[]'::jsonb,
  is_public      boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_move_templates_workspace_id ON public.move_templates (workspace_id);

-- template_id is informational (no FK): moves outlive their template.
CREATE TABLE IF NOT EXISTS public.moves (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  project_id    uuid REFERENCES public.projects (id) ON DELETE SET NULL,
  owner_id      uuid REFERENCES public.users (id) ON DELETE SET NULL,
  template_id   uuid,
  title         text NOT NULL,
  description   text,
  channel       text NOT NULL DEFAULT 'other'
                CHECK (channel IN ('email', 'social', 'ads', 'seo', 'content', 'events', 'other')),
  status        text NOT NULL DEFAULT 'planned'
                CHECK (status IN ('planned', 'active', 'completed', 'failed', 'cancelled')),
  priority      smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
  budget_cents  bigint NOT NULL DEFAULT 0 CHECK (budget_cents >= 0),
  started_at    timestamptz,
  completed_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_moves_workspace_status ON public.moves (workspace_id, status);
CREATE INDEX IF NOT EXISTS idx_moves_project_id ON public.moves (project_id);
CREATE INDEX IF NOT EXISTS idx_moves_owner_id ON public.moves (owner_id);

CREATE TABLE IF NOT EXISTS public.move_steps (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  move_id       uuid NOT NULL REFERENCES public.moves (id) ON DELETE CASCADE,
  position      integer NOT NULL CHECK (position > 0),
  title         text NOT NULL,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'skipped')),
  due_at        timestamptz,
  completed_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT move_steps_move_position_key UNIQUE (move_id, position)
);

CREATE TABLE IF NOT EXISTS public.move_metrics (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  move_id      uuid NOT NULL REFERENCES public.moves (id) ON DELETE CASCADE,
  metric       text NOT NULL,
  value        numeric(14, 4) NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_move_metrics_move_recorded_at ON public.move_metrics (move_id, recorded_at DESC);

DROP TRIGGER IF EXISTS trg_moves_updated_at ON public.moves;
CREATE TRIGGER trg_moves_updated_at
  BEFORE UPDATE ON public.moves
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
