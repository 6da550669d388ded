-- 009_notifications_messaging.sql
-- Week 1 baseline, step 9: in-app notifications and e-mail.
-- Tables: notifications, notification_preferences, email_templates, email_outbox.
-- Idempotent; no BEGIN/COMMIT.

CREATE TABLE IF NOT EXISTS public.notifications (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  kind          text NOT NULL DEFAULT 'info',
  title         text NOT NULL,
  body          text,
  read_at       timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_notifications_user_created_at ON public.notifications (user_id, created_at DESC);

CREATE TABLE IF NOT EXISTS public.notification_preferences (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  channel     text NOT NULL CHECK (channel IN ('email', 'in_app', 'push')),
  event_type  text NOT NULL,
  enabled     boolean NOT NULL DEFAULT true,
  CONSTRAINT notification_preferences_user_channel_event_key UNIQUE (user_id, channel, event_type)
);

-- Global (product-wide) templates: no workspace.
CREATE TABLE IF NOT EXISTS public.email_templates (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key         text NOT NULL,
  subject     text NOT NULL,
  body_html   text NOT NULL DEFAULT '',
  body_text   text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT email_templates_key_key UNIQUE (key)
);

-- Outbound queue. No FKs by design: rows must survive workspace deletion
-- until they are sent or expire.
CREATE TABLE IF NOT EXISTS public.email_outbox (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid,
  to_email      text NOT NULL,
  template_key  text NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
  status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
  attempts      integer NOT NULL DEFAULT 0,
  send_after    timestamptz NOT NULL DEFAULT now(),
  sent_at       timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_email_outbox_status_send_after ON public.email_outbox (status, send_after);
