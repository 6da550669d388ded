-- 007_crm.sql
-- Week 1 baseline, step 7: lightweight CRM.
-- Tables: companies, contacts, deals.
-- Idempotent; no BEGIN/COMMIT.

CREATE TABLE IF NOT EXISTS public.companies (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id  uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  name          text NOT NULL,
  domain        text,
  industry      text,
  size_band     text CHECK (size_band IN ('1-10', '11-50', '51-200', '201-1000', '1000+')),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_companies_workspace_id ON public.companies (workspace_id);

CREATE TABLE IF NOT EXISTS public.contacts (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id     uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  company_id       uuid REFERENCES public.companies (id) ON DELETE SET NULL,
  email            text,
  first_name       text,
  last_name        text,
  phone            text,
  lifecycle_stage  text NOT NULL DEFAULT 'lead'
                   CHECK (lifecycle_stage IN ('lead', 'mql', 'sql', 'customer', 'churned')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_contacts_workspace_stage ON public.contacts (workspace_id, lifecycle_stage);

CREATE TABLE IF NOT EXISTS public.deals (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id    uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  contact_id      uuid REFERENCES public.contacts (id) ON DELETE SET NULL,
  name            text NOT NULL,
  amount_cents    bigint NOT NULL DEFAULT 0 CHECK (amount_cents >= 0),
  stage           text NOT NULL DEFAULT 'prospecting'
                  CHECK (stage IN ('prospecting', 'qualified', 'proposal', 'won', 'lost')),
  expected_close  date,
  closed_at       timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_deals_workspace_stage ON public.deals (workspace_id, stage);
