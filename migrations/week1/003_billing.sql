-- 003_billing.sql
-- Week 1 baseline, step 3: plans, subscriptions and invoicing.
-- Tables: plans, subscriptions, invoices, invoice_items, payment_methods.
-- Idempotent; no BEGIN/COMMIT.

CREATE TABLE IF NOT EXISTS public.plans (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code                 text NOT NULL,
  name                 text NOT NULL,
  monthly_price_cents  integer NOT NULL DEFAULT 0 CHECK (monthly_price_cents >= 0),
  seat_limit           integer,
  features             jsonb NOT NULL DEFAULT '{}'::jsonb,
  is_public            boolean NOT NULL DEFAULT true,
  created_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT plans_code_key UNIQUE (code)
);

CREATE TABLE IF NOT EXISTS public.subscriptions (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id          uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  plan_id               uuid NOT NULL REFERENCES public.plans (id) ON DELETE RESTRICT,
  status                text NOT NULL DEFAULT 'trialing'
                        CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
  seats                 integer NOT NULL DEFAULT 1 CHECK (seats > 0),
  current_period_start  timestamptz NOT NULL DEFAULT now(),
  current_period_end    timestamptz NOT NULL DEFAULT (now() + interval '1 month'),
  cancel_at             timestamptz,
  external_id           text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT subscriptions_external_id_key UNIQUE (external_id)
);
CREATE INDEX IF NOT EXISTS idx_subscriptions_workspace_id ON public.subscriptions (workspace_id);

CREATE TABLE IF NOT EXISTS public.invoices (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id     uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  subscription_id  uuid REFERENCES public.subscriptions (id) ON DELETE SET NULL,
  number           text NOT NULL,
  currency         char(3) NOT NULL DEFAULT 'USD',
  amount_cents     integer NOT NULL DEFAULT 0 CHECK (amount_cents >= 0),
  status           text NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
  issued_at        timestamptz,
  due_at           timestamptz,
  paid_at          timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT invoices_number_key UNIQUE (number)
);
CREATE INDEX IF NOT EXISTS idx_invoices_workspace_id ON public.invoices (workspace_id);

CREATE TABLE IF NOT EXISTS public.invoice_items (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  invoice_id         uuid NOT NULL REFERENCES public.invoices (id) ON DELETE CASCADE,
  description        text NOT NULL,
  quantity           integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
  unit_amount_cents  integer NOT NULL DEFAULT 0,
  amount_cents       integer NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_invoice_items_invoice_id ON public.invoice_items (invoice_id);

CREATE TABLE IF NOT EXISTS public.payment_methods (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  provider      text NOT NULL DEFAULT 'stripe',
  brand         text,
  last4         char(4),
  exp_month     smallint CHECK (exp_month BETWEEN 1 AND 12),
  exp_year      smallint,
  is_default    boolean NOT NULL DEFAULT false,
  external_id   text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_payment_methods_workspace_id ON public.payment_methods (workspace_id);

DROP TRIGGER IF EXISTS trg_subscriptions_updated_at ON public.subscriptions;
CREATE TRIGGER trg_subscriptions_updated_at
  BEFORE UPDATE ON public.subscriptions
  FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
