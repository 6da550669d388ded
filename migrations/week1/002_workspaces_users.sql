-- 002_workspaces_users.sql
-- Week 1 baseline, step 2: tenants and identities.
-- Tables: users, workspaces, workspace_members, invitations, user_preferences.
-- Function: public.is_workspace_member(uuid), the RLS helper (SECURITY DEFINER,
-- so policies that call it do not recurse through workspace_members' own RLS).
-- Idempotent; no BEGIN/COMMIT.

CREATE TABLE IF NOT EXISTS public.users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text NOT NULL,
  full_name     text,
  avatar_url    text,
  timezone      text NOT NULL DEFAULT 'UTC',
  is_active     boolean NOT NULL DEFAULT true,
  last_seen_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON public.users (lower(email));

-- workspaces is the tenant root. created_by is informational (no FK): ownership
-- is tracked in workspace_members (role = 'owner').
CREATE TABLE IF NOT EXISTS public.workspaces (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  slug        text NOT NULL,
  plan_code   text NOT NULL DEFAULT 'free',
  created_by  uuid,
  settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz,
  CONSTRAINT workspaces_slug_key UNIQUE (slug),
  CONSTRAINT workspaces_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$')
);

CREATE TABLE IF NOT EXISTS public.workspace_members (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  role          text NOT NULL DEFAULT 'member'
                CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  joined_at     timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT workspace_members_workspace_user_key UNIQUE (workspace_id, user_id)
);
CREATE INDEX IF NOT EXISTS idx_workspace_members_user_id ON public.workspace_members (user_id);

CREATE TABLE IF NOT EXISTS public.invitations (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  email         text NOT NULL,
  role          text NOT NULL DEFAULT 'member'
                CHECK (role IN ('admin', 'member', 'viewer')),
  token         text NOT NULL,
  invited_by    uuid,
  status        text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'accepted', 'revoked', 'expired')),
  expires_at    timestamptz NOT NULL DEFAULT (now() + interval '7 days'),
  accepted_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT invitations_token_key UNIQUE (token)
);
CREATE INDEX IF NOT EXISTS idx_invitations_workspace_id ON public.invitations (workspace_id);

CREATE TABLE IF NOT EXISTS public.user_preferences (
  user_id       uuid PRIMARY KEY REFERENCES public.users (id) ON DELETE CASCADE,
  theme         text NOT NULL DEFAULT 'system' CHECK (theme IN ('system', 'light', 'dark')),
  locale        text NOT NULL DEFAULT 'en',
  email_digest  text NOT NULL DEFAULT 'weekly' CHECK (email_digest IN ('never', 'daily', 'weekly')),
  settings      jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- RLS helper. SECURITY DEFINER + fixed search_path: runs as the owner, so the
-- lookup in workspace_members is not itself subject to RLS (no recursion).
CREATE OR REPLACE FUNCTION public.is_workspace_member(ws uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = public
AS $$
  SELECT EXISTS (
    SELECT 1
    FROM public.workspace_members m
    WHERE m.workspace_id = ws
      AND m.user_id = auth.uid()
  );
$$;

DROP TRIGGER IF EXISTS trg_users_updated_at ON public.users;
CREATE TRIGGER trg_users_updated_at
  BEFORE UPDATE ON public.users
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

DROP TRIGGER IF EXISTS trg_workspaces_updated_at ON public.workspaces;
CREATE TRIGGER trg_workspaces_updated_at
  BEFORE UPDATE ON public.workspaces
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
