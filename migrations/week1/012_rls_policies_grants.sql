-- 012_rls_policies_grants.sql
-- Week 1 baseline, step 12: row-level security and grants.
--
-- RLS is enabled on every tenant table (every table with a workspace_id, plus
-- workspaces itself). 18 policies, all for role `authenticated`, all tenant
-- isolation through public.is_workspace_member(<workspace id>) (SECURITY
-- DEFINER, so no recursive RLS on workspace_members). Tenant tables without a
-- policy (billing, API keys, webhooks, logs, queues, ...) are reachable only by
-- roles that bypass RLS (the owner / service back end).
-- Idempotent (DROP POLICY IF EXISTS before CREATE POLICY); no BEGIN/COMMIT.

ALTER TABLE public.workspaces         ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.workspace_members  ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.invitations        ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.subscriptions      ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.invoices           ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.payment_methods    ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.projects           ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tasks              ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.labels             ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.move_templates     ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.moves              ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.files              ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.documents          ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.comments           ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tags               ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.companies          ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.contacts           ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.deals              ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.integrations       ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.api_keys           ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.webhooks           ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.notifications      ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.email_outbox       ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.audit_log          ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.events             ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.page_views         ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.background_jobs    ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.error_logs         ENABLE ROW LEVEL SECURITY;

-- 1
DROP POLICY IF EXISTS workspaces_member_select ON public.workspaces;
CREATE POLICY workspaces_member_select ON public.workspaces
  FOR SELECT TO authenticated
  USING (public.is_workspace_member(id));

-- 2
DROP POLICY IF EXISTS workspace_members_member_select ON public.workspace_members;
CREATE POLICY workspace_members_member_select ON public.workspace_members
  FOR SELECT TO authenticated
  USING (public.is_workspace_member(workspace_id));

-- 3
DROP POLICY IF EXISTS invitations_member_select ON public.invitations;
CREATE POLICY invitations_member_select ON public.invitations
  FOR SELECT TO authenticated
  USING (public.is_workspace_member(workspace_id));

-- 4
DROP POLICY IF EXISTS projects_tenant_isolation ON public.projects;
CREATE POLICY projects_tenant_isolation ON public.projects
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- 5
DROP POLICY IF EXISTS tasks_tenant_isolation ON public.tasks;
CREATE POLICY tasks_tenant_isolation ON public.tasks
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- 6
DROP POLICY IF EXISTS labels_tenant_isolation ON public.labels;
CREATE POLICY labels_tenant_isolation ON public.labels
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- 7-10: moves, one policy per command
DROP POLICY IF EXISTS moves_tenant_select ON public.moves;
CREATE POLICY moves_tenant_select ON public.moves
  FOR SELECT TO authenticated
  USING (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS moves_tenant_insert ON public.moves;
CREATE POLICY moves_tenant_insert ON public.moves
  FOR INSERT TO authenticated
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS moves_tenant_update ON public.moves;
CREATE POLICY moves_tenant_update ON public.moves
  FOR UPDATE TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS moves_tenant_delete ON public.moves;
CREATE POLICY moves_tenant_delete ON public.moves
  FOR DELETE TO authenticated
  USING (public.is_workspace_member(workspace_id));

-- 11
DROP POLICY IF EXISTS files_tenant_isolation ON public.files;
CREATE POLICY files_tenant_isolation ON public.files
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- 12
DROP POLICY IF EXISTS documents_tenant_isolation ON public.documents;
CREATE POLICY documents_tenant_isolation ON public.documents
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- 13
DROP POLICY IF EXISTS comments_tenant_isolation ON public.comments;
CREATE POLICY comments_tenant_isolation ON public.comments
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- 14
DROP POLICY IF EXISTS companies_tenant_isolation ON public.companies;
CREATE POLICY companies_tenant_isolation ON public.companies
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- 15
DROP POLICY IF EXISTS contacts_tenant_isolation ON public.contacts;
CREATE POLICY contacts_tenant_isolation ON public.contacts
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- 16
DROP POLICY IF EXISTS deals_tenant_isolation ON public.deals;
CREATE POLICY deals_tenant_isolation ON public.deals
  FOR ALL TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

-- 17: a member sees only their own notifications, and only in their workspaces
DROP POLICY IF EXISTS notifications_recipient_select ON public.notifications;
CREATE POLICY notifications_recipient_select ON public.notifications
  FOR SELECT TO authenticated
  USING (public.is_workspace_member(workspace_id) AND user_id = auth.uid());

-- 18
DROP POLICY IF EXISTS audit_log_member_select ON public.audit_log;
CREATE POLICY audit_log_member_select ON public.audit_log
  FOR SELECT TO authenticated
  USING (public.is_workspace_member(workspace_id));

-- Explicit grants for the tables that already exist (the default privileges
-- from 001 cover them too when 001 ran first; this makes the baseline correct
-- even if the tables pre-date the default privileges).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO authenticated;
GRANT ALL ON ALL TABLES IN SCHEMA public TO service_role;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO authenticated;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO service_role;
