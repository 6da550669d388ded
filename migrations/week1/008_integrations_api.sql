-- 008_integrations_api.sql
-- Week 1 baseline, step 8: third-party integrations, API keys, webhooks.
-- Tables: integrations, api_keys, webhooks, webhook_deliveries.
-- Idempotent; no BEGIN/COMMIT.

CREATE TABLE IF NOT EXISTS public.integrations (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  provider      text NOT NULL,
  status        text NOT NULL DEFAULT 'connected'
                CHECK (status IN ('connected', 'disconnected', 'error')),
  config        jsonb NOT NULL DEFAULT '{}'::jsonb,
  connected_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT integrations_workspace_provider_key UNIQUE (workspace_id, provider)
);

-- created_by is informational (no FK): keys are revoked, not deleted, with users.
CREATE TABLE IF NOT EXISTS public.api_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  key_prefix    text NOT NULL,
  key_hash      text NOT NULL,
  scopes        text[] NOT NULL DEFAULT ARRAY['read']::text[],
  created_by    uuid,
  last_used_at  timestamptz,
  expires_at    timestamptz,
  revoked_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);
CREATE INDEX IF NOT EXISTS idx_api_keys_workspace_id ON public.api_keys (workspace_id);

CREATE TABLE IF NOT EXISTS public.webhooks (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  url           text NOT NULL CHECK (url ~ '^https?://'),
  secret        text NOT NULL,
  events        text[] NOT NULL DEFAULT ARRAY[]::text[],
  is_active     boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_webhooks_workspace_id ON public.webhooks (workspace_id);

CREATE TABLE IF NOT EXISTS public.webhook_deliveries (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  webhook_id       uuid NOT NULL REFERENCES public.webhooks (id) ON DELETE CASCADE,
  event            text NOT NULL,
  payload          jsonb NOT NULL DEFAULT '{}'::jsonb,
  response_status  integer,
  attempt          smallint NOT NULL DEFAULT 1,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_webhook_deliveries_webhook_created_at
  ON public.webhook_deliveries (webhook_id, created_at DESC);
