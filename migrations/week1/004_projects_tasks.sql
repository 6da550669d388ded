-- 004_projects_tasks.sql
-- Week 1 baseline, step 4: project management.
-- Tables: projects, tasks, labels, task_labels.
-- Idempotent; no BEGIN/COMMIT.

CREATE TABLE IF NOT EXISTS public.projects (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  owner_id      uuid REFERENCES public.users (id) ON DELETE SET NULL,
  name          text NOT NULL,
  description   text,
  status        text NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'on_hold', 'archived')),
  starts_on     date,
  ends_on       date,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT projects_dates_check CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX IF NOT EXISTS idx_projects_workspace_status ON public.projects (workspace_id, status);

CREATE TABLE IF NOT EXISTS public.tasks (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  project_id    uuid NOT NULL REFERENCES public.projects (id) ON DELETE CASCADE,
  assignee_id   uuid REFERENCES public.users (id) ON DELETE SET NULL,
  title         text NOT NULL,
  description   text,
  status        text NOT NULL DEFAULT 'todo'
                CHECK (status IN ('todo', 'in_progress', 'blocked', 'done', 'cancelled')),
  priority      smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 4),
  due_date      date,
  completed_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_tasks_workspace_status ON public.tasks (workspace_id, status);
CREATE INDEX IF NOT EXISTS idx_tasks_project_id ON public.tasks (project_id);

CREATE TABLE IF NOT EXISTS public.labels (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  color         text NOT NULL DEFAULT '#888888',
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT labels_workspace_name_key UNIQUE (workspace_id, name)
);

CREATE TABLE IF NOT EXISTS public.task_labels (
  task_id     uuid NOT NULL REFERENCES public.tasks (id) ON DELETE CASCADE,
  label_id    uuid NOT NULL REFERENCES public.labels (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (task_id, label_id)
);
CREATE INDEX IF NOT EXISTS idx_task_labels_label_id ON public.task_labels (label_id);

DROP TRIGGER IF EXISTS trg_projects_updated_at ON public.projects;
CREATE TRIGGER trg_projects_updated_at
  BEFORE UPDATE ON public.projects
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

DROP TRIGGER IF EXISTS trg_tasks_updated_at ON public.tasks;
CREATE TRIGGER trg_tasks_updated_at
  BEFORE UPDATE ON public.tasks
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
