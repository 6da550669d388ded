-- 017_create_alerts_notifications.sql
-- Week 2, migration 017: system alerts and per-user notifications.
--
-- Creates 2 tables: system_alerts, user_notifications
-- Adds: 12 indexes, 4 RLS policies, 0 triggers, 5 functions, 8 foreign keys.
-- (The run-book says "4 functions" but names five; all five are created.)
-- Functions: create_system_alert(uuid, text, text, text, text, text, uuid, uuid, uuid, boolean),
--            send_user_notification(uuid, uuid, text, text, text, text, text, uuid),
--            acknowledge_alert(uuid, uuid),
--            mark_notification_as_read(uuid, uuid),
--            get_user_unread_notifications(uuid, uuid, integer)
--
-- Counting rule (same in 013..017):
--   * "indexes"  = explicit CREATE [UNIQUE] INDEX statements in this file. The
--                  primary key of each table adds one more index that is NOT
--                  counted; no UNIQUE/EXCLUDE constraints are used, so pg_index
--                  rows for this file's tables = 12 + 2 (PKs) = 14.
--   * "policies" = CREATE POLICY statements (pg_policy rows).
--   * "triggers" = user triggers (pg_trigger with NOT tgisinternal): none here.
--   * "functions"= CREATE OR REPLACE FUNCTION statements (pg_proc rows).
--
-- Idempotent: CREATE TABLE/INDEX IF NOT EXISTS, CREATE OR REPLACE FUNCTION,
-- DROP POLICY IF EXISTS before CREATE POLICY. No BEGIN/COMMIT.

CREATE TABLE IF NOT EXISTS public.system_alerts (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id     uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  severity         text NOT NULL DEFAULT 'info'
                   CHECK (severity IN ('info', 'warning', 'error', 'critical')),
  alert_type       text NOT NULL DEFAULT 'general',
  title            text NOT NULL,
  message          text,
  source           text NOT NULL DEFAULT 'system',
  move_id          uuid REFERENCES public.moves (id) ON DELETE SET NULL,
  agent_id         uuid REFERENCES public.agent_registry (id) ON DELETE SET NULL,
  status           text NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'acknowledged', 'resolved')),
  occurrences      integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
  created_by       uuid REFERENCES public.users (id) ON DELETE SET NULL,
  acknowledged_by  uuid REFERENCES public.users (id) ON DELETE SET NULL,
  acknowledged_at  timestamptz,
  resolved_at      timestamptz,
  metadata         jsonb NOT NULL DEFAULT '{}'::jsonb,
  last_seen_at     timestamptz NOT NULL DEFAULT now(),
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.user_notifications (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  alert_id      uuid REFERENCES public.system_alerts (id) ON DELETE SET NULL,
  type          text NOT NULL DEFAULT 'info',
  title         text NOT NULL,
  body          text,
  action_url    text,
  priority      text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high')),
  is_read       boolean NOT NULL DEFAULT false,
  read_at       timestamptz,
  expires_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT user_notifications_read_check CHECK (is_read = (read_at IS NOT NULL))
);

-- Indexes (12) ------------------------------------------------------------------------
CREATE INDEX IF NOT EXISTS idx_system_alerts_workspace_status
  ON public.system_alerts (workspace_id, status, created_at DESC);                  -- 1
CREATE INDEX IF NOT EXISTS idx_system_alerts_workspace_severity
  ON public.system_alerts (workspace_id, severity);                                 -- 2
CREATE INDEX IF NOT EXISTS idx_system_alerts_open_dedupe
  ON public.system_alerts (workspace_id, alert_type, title) WHERE status = 'open';  -- 3
CREATE INDEX IF NOT EXISTS idx_system_alerts_move_id
  ON public.system_alerts (move_id);                                               -- 4
CREATE INDEX IF NOT EXISTS idx_system_alerts_agent_id
  ON public.system_alerts (agent_id);                                              -- 5
CREATE INDEX IF NOT EXISTS idx_system_alerts_created_by
  ON public.system_alerts (created_by);                                            -- 6
CREATE INDEX IF NOT EXISTS idx_system_alerts_acknowledged_by
  ON public.system_alerts (acknowledged_by);                                       -- 7
CREATE INDEX IF NOT EXISTS idx_user_notifications_user_created
  ON public.user_notifications (user_id, created_at DESC);                         -- 8
CREATE INDEX IF NOT EXISTS idx_user_notifications_user_unread
  ON public.user_notifications (user_id, created_at DESC) WHERE NOT is_read;        -- 9
CREATE INDEX IF NOT EXISTS idx_user_notifications_workspace_id
  ON public.user_notifications (workspace_id);                                     -- 10
CREATE INDEX IF NOT EXISTS idx_user_notifications_alert_id
  ON public.user_notifications (alert_id);                                         -- 11
CREATE INDEX IF NOT EXISTS idx_user_notifications_expires_at
  ON public.user_notifications (expires_at) WHERE expires_at IS NOT NULL;           -- 12

-- Row-level security (4 policies) ----------------------------------------------------
-- Alerts: workspace members read and acknowledge (update); the back end creates.
-- Notifications: a member sees and updates only their own, in their workspaces.
ALTER TABLE public.system_alerts      ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_notifications ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS system_alerts_tenant_select ON public.system_alerts;
CREATE POLICY system_alerts_tenant_select ON public.system_alerts
  FOR SELECT TO authenticated
  USING (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS system_alerts_tenant_update ON public.system_alerts;
CREATE POLICY system_alerts_tenant_update ON public.system_alerts
  FOR UPDATE TO authenticated
  USING (public.is_workspace_member(workspace_id))
  WITH CHECK (public.is_workspace_member(workspace_id));

DROP POLICY IF EXISTS user_notifications_recipient_select ON public.user_notifications;
CREATE POLICY user_notifications_recipient_select ON public.user_notifications
  FOR SELECT TO authenticated
  USING (public.is_workspace_member(workspace_id) AND user_id = auth.uid());

DROP POLICY IF EXISTS user_notifications_recipient_update ON public.user_notifications;
CREATE POLICY user_notifications_recipient_update ON public.user_notifications
  FOR UPDATE TO authenticated
  USING (public.is_workspace_member(workspace_id) AND user_id = auth.uid())
  WITH CHECK (public.is_workspace_member(workspace_id) AND user_id = auth.uid());

-- Functions (5) ------------------------------------------------------------------------

-- Raises an alert in a workspace and returns its id. An identical open alert
-- (same workspace, alert_type and title) is reused: its occurrences counter is
-- bumped instead of creating a duplicate. 'error' and 'critical' alerts notify
-- the workspace owners and admins (unless p_notify_admins is false).
CREATE OR REPLACE FUNCTION public.create_system_alert(
  p_workspace_id   uuid,
  p_severity       text,
  p_title          text,
  p_message        text DEFAULT NULL,
  p_alert_type     text DEFAULT 'general',
  p_source         text DEFAULT 'system',
  p_move_id        uuid DEFAULT NULL,
  p_agent_id       uuid DEFAULT NULL,
  p_created_by     uuid DEFAULT NULL,
  p_notify_admins  boolean DEFAULT true
)
RETURNS uuid
LANGUAGE plpgsql
AS $function$
DECLARE
  v_alert_id  uuid;
  v_severity  text := lower(btrim(p_severity));
BEGIN
  IF v_severity IS NULL OR v_severity NOT IN ('info', 'warning', 'error', 'critical') THEN
    RAISE EXCEPTION 'invalid severity "%"; expected one of info, warning, error, critical', p_severity
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  -- de-duplicate: don't open a second alert for the same ongoing problem
  UPDATE public.system_alerts AS a
     SET occurrences  = a.occurrences + 1,
         last_seen_at = now(),
         message      = coalesce(p_message, a.message)
   WHERE a.workspace_id = p_workspace_id
     AND a.alert_type = coalesce(p_alert_type, 'general')
     AND a.title = p_title
     AND a.status = 'open'
  RETURNING a.id INTO v_alert_id;

  IF v_alert_id IS NOT NULL THEN
    RETURN v_alert_id;
  END IF;

  INSERT INTO public.system_alerts
    (workspace_id, severity, alert_type, title, message, source, move_id, agent_id, created_by)
  VALUES
    (p_workspace_id, v_severity, coalesce(p_alert_type, 'general'), p_title, p_message,
     coalesce(p_source, 'system'), p_move_id, p_agent_id, p_created_by)
  RETURNING id INTO v_alert_id;

  IF coalesce(p_notify_admins, true) AND v_severity IN ('error', 'critical') THEN
    INSERT INTO public.user_notifications (workspace_id, user_id, alert_id, type, title, body, priority)
    SELECT p_workspace_id, m.user_id, v_alert_id, 'alert',
           '[' || upper(v_severity) || '] ' || p_title, p_message, 'high'
    FROM public.workspace_members AS m
    WHERE m.workspace_id = p_workspace_id
      AND m.role IN ('owner', 'admin');
  END IF;

  RETURN v_alert_id;
END;
$function$;

-- Sends an in-app notification to a workspace member and returns its id.
CREATE OR REPLACE FUNCTION public.send_user_notification(
  p_user_id       uuid,
  p_workspace_id  uuid,
  p_title         text,
  p_body          text DEFAULT NULL,
  p_type          text DEFAULT 'info',
  p_priority      text DEFAULT 'normal',
  p_action_url    text DEFAULT NULL,
  p_alert_id      uuid DEFAULT NULL
)
RETURNS uuid
LANGUAGE plpgsql
AS $function$
DECLARE
  v_notification_id  uuid;
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM public.workspace_members AS m
    WHERE m.workspace_id = p_workspace_id AND m.user_id = p_user_id
  ) THEN
    RAISE EXCEPTION 'user % isn''t a member of workspace %; notification not sent', p_user_id, p_workspace_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;

  INSERT INTO public.user_notifications
    (workspace_id, user_id, alert_id, type, title, body, priority, action_url)
  VALUES
    (p_workspace_id, p_user_id, p_alert_id, coalesce(p_type, 'info'),
     coalesce(nullif(btrim(p_title), ''), 'You''ve got a new notification'),
     p_body, coalesce(p_priority, 'normal'), p_action_url)
  RETURNING id INTO v_notification_id;

  RETURN v_notification_id;
END;
$function$;

-- Acknowledges an open alert on behalf of a member of its workspace; the
-- member's notifications about the alert are marked read. Returns false when
-- the alert was not open any more.
CREATE OR REPLACE FUNCTION public.acknowledge_alert(
  p_alert_id  uuid,
  p_user_id   uuid
)
RETURNS boolean
LANGUAGE plpgsql
AS $function$
DECLARE
  v_workspace_id  uuid;
  v_status        text;
BEGIN
  SELECT a.workspace_id, a.status INTO v_workspace_id, v_status
  FROM public.system_alerts AS a
  WHERE a.id = p_alert_id
  FOR UPDATE;

  IF NOT FOUND THEN
    RAISE EXCEPTION 'alert % does not exist', p_alert_id USING ERRCODE = 'no_data_found';
  END IF;

  IF NOT EXISTS (
    SELECT 1 FROM public.workspace_members AS m
    WHERE m.workspace_id = v_workspace_id AND m.user_id = p_user_id
  ) THEN
    RAISE EXCEPTION 'user % cannot acknowledge alert %: not a member of its workspace', p_user_id, p_alert_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;

  IF v_status <> 'open' THEN
    RETURN false;
  END IF;

  UPDATE public.system_alerts
     SET status = 'acknowledged',
         acknowledged_by = p_user_id,
         acknowledged_at = now()
   WHERE id = p_alert_id;

  UPDATE public.user_notifications
     SET is_read = true,
         read_at = now()
   WHERE alert_id = p_alert_id
     AND user_id = p_user_id
     AND NOT is_read;

  RETURN true;
END;
$function$;

-- Marks one of the user's notifications as read. Returns false when the
-- notification does not exist, belongs to someone else, or was already read.
CREATE OR REPLACE FUNCTION public.mark_notification_as_read(
  p_notification_id  uuid,
  p_user_id          uuid
)
RETURNS boolean
LANGUAGE plpgsql
AS $function$
BEGIN
  UPDATE public.user_notifications
     SET is_read = true,
         read_at = now()
   WHERE id = p_notification_id
     AND user_id = p_user_id
     AND NOT is_read;

  RETURN FOUND;
END;
$function$;

-- The user's unread, unexpired notifications (optionally in one workspace),
-- high priority first, then newest first.
CREATE OR REPLACE FUNCTION public.get_user_unread_notifications(
  p_user_id       uuid,
  p_workspace_id  uuid DEFAULT NULL,
  p_limit         integer DEFAULT 50
)
RETURNS TABLE (
  notification_id  uuid,
  workspace_id     uuid,
  type             text,
  title            text,
  body             text,
  priority         text,
  action_url       text,
  alert_id         uuid,
  created_at       timestamptz
)
LANGUAGE sql
STABLE
AS $$
  SELECT n.id, n.workspace_id, n.type, n.title, n.body, n.priority,
         n.action_url, n.alert_id, n.created_at
  FROM public.user_notifications AS n
  WHERE n.user_id = p_user_id
    AND NOT n.is_read
    AND (p_workspace_id IS NULL OR n.workspace_id = p_workspace_id)
    AND (n.expires_at IS NULL OR n.expires_at > now())
  ORDER BY CASE n.priority WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END,
           n.created_at DESC
  LIMIT greatest(coalesce(p_limit, 50), 0);
$$;
