-- 001_supabase_shim_and_core.sql
-- Week 1 baseline, step 1: a Supabase-compatible shim plus shared helpers.
--
--  * schema `auth` and function auth.uid() -- created only when missing, so the
--    file is a no-op for the shim on a real Supabase project;
--  * API roles anon / authenticated / service_role (NOLOGIN), only when missing;
--  * schema usage and default table/sequence privileges for those roles, so that
--    every table created later in `public` by this role (Week 1 and Week 2)
--    is granted automatically;
--  * public.set_updated_at(), the trigger function used by updated_at triggers.
--
-- Idempotent: every statement can be re-run. No BEGIN/COMMIT (the runner wraps
-- each file in a transaction).

CREATE SCHEMA IF NOT EXISTS auth;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN;
  END IF;
END
$$;

-- auth.uid(): the JWT subject of the current request, NULL when unset.
-- Created only if missing (Supabase ships its own, owned by another role).
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'auth' AND p.proname = 'uid' AND p.pronargs = 0
  ) THEN
    EXECUTE $ddl$
      CREATE FUNCTION auth.uid() RETURNS uuid
      LANGUAGE sql STABLE
      AS $body$
        SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid
      $body$
    $ddl$;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;

-- Tables and sequences created later in `public` by the role running the
-- migrations get these grants automatically (Week 2 included).
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT ALL ON TABLES TO service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO authenticated;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT ALL ON SEQUENCES TO service_role;

-- Shared trigger function: keeps updated_at current on UPDATE.
CREATE OR REPLACE FUNCTION public.set_updated_at()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
