-- 006_content_files.sql
-- Week 1 baseline, step 6: content and collaboration.
-- Tables: files, documents, comments, tags.
-- Idempotent; no BEGIN/COMMIT.

-- uploaded_by is informational (no FK): files are kept when a user is deleted.
CREATE TABLE IF NOT EXISTS public.files (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  uploaded_by   uuid,
  bucket        text NOT NULL DEFAULT 'uploads',
  path          text NOT NULL,
  mime_type     text NOT NULL DEFAULT 'application/octet-stream',
  size_bytes    bigint NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
  checksum      text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT files_bucket_path_key UNIQUE (bucket, path)
);
CREATE INDEX IF NOT EXISTS idx_files_workspace_id ON public.files (workspace_id);

CREATE TABLE IF NOT EXISTS public.documents (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  title         text NOT NULL,
  body          text NOT NULL DEFAULT '',
  status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
  created_by    uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_documents_workspace_updated_at ON public.documents (workspace_id, updated_at DESC);

CREATE TABLE IF NOT EXISTS public.comments (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  task_id       uuid NOT NULL REFERENCES public.tasks (id) ON DELETE CASCADE,
  author_id     uuid,
  body          text NOT NULL,
  edited_at     timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_comments_task_created_at ON public.comments (task_id, created_at);

CREATE TABLE IF NOT EXISTS public.tags (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tags_workspace_name_key UNIQUE (workspace_id, name)
);

DROP TRIGGER IF EXISTS trg_documents_updated_at ON public.documents;
CREATE TRIGGER trg_documents_updated_at
  BEFORE UPDATE ON public.documents
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

DROP TRIGGER IF EXISTS trg_comments_updated_at ON public.comments;
CREATE TRIGGER trg_comments_updated_at
  BEFORE UPDATE ON public.comments
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
