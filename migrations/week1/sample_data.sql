-- sample_data.sql
-- Deterministic sample data for the Week 1 baseline (run once, after 001..012).
-- No random(): fixed uuids for the entities tests refer to, md5-derived uuids
-- (md5('<table>:<n>')::uuid) for bulk rows, fixed timestamps from 2024-01-01.
-- Every one of the 43 baseline tables gets rows; all FK references are valid.
--
-- Fixed ids:
--   workspaces  10000000-0000-0000-0000-00000000000K   K = 1 acme, 2 globex, 3 initech
--   users       20000000-0000-0000-0000-0000000000NN   NN = 01..10
--   plans       30000000-0000-0000-0000-00000000000P   P = 1 free, 2 pro, 3 business
--   membership (each user belongs to exactly ONE workspace):
--     workspace 1 (acme):    users 01 (owner), 02 (admin), 03, 04 (members)
--     workspace 2 (globex):  users 05 (owner), 06 (admin), 07 (member)
--     workspace 3 (initech): users 08 (owner), 09 (admin), 10 (member)
--   projects    md5('project:P')::uuid, P = 1..9, workspace = (P-1) % 3 + 1
--   tasks       md5('task:T')::uuid,    T = 1..60, project = (T-1) % 9 + 1
--   moves       md5('move:M')::uuid,    M = 1..200, workspace = (M-1) % 3 + 1

-- users ---------------------------------------------------------------------
INSERT INTO public.users (id, email, full_name, timezone, last_seen_at, created_at, updated_at)
SELECT ('20000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid,
       'user' || lpad(n::text, 2, '0') || '@example.com',
       (ARRAY['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov',
              'Donald Knuth', 'Margaret Hamilton', 'Ken Thompson', 'Frances Allen', 'John Backus'])[n],
       (ARRAY['UTC', 'Europe/Paris', 'America/New_York'])[(n % 3) + 1],
       timestamptz '2024-01-20 09:00:00+00' + n * interval '1 hour',
       timestamptz '2024-01-01 00:00:00+00' + n * interval '1 day',
       timestamptz '2024-01-01 00:00:00+00' + n * interval '1 day'
FROM generate_series(1, 10) AS n;

-- workspaces ------------------------------------------------------------------
INSERT INTO public.workspaces (id, name, slug, plan_code, created_by, created_at, updated_at)
VALUES
  ('10000000-0000-0000-0000-000000000001', 'Acme Marketing', 'acme',    'pro',      '20000000-0000-0000-0000-000000000001', '2024-01-02 00:00:00+00', '2024-01-02 00:00:00+00'),
  ('10000000-0000-0000-0000-000000000002', 'Globex Growth',  'globex',  'business', '20000000-0000-0000-0000-000000000005', '2024-01-03 00:00:00+00', '2024-01-03 00:00:00+00'),
  ('10000000-0000-0000-0000-000000000003', 'Initech Labs',   'initech', 'free',     '20000000-0000-0000-0000-000000000008', '2024-01-04 00:00:00+00', '2024-01-04 00:00:00+00');

-- workspace_members: ws1 = users 1-4, ws2 = users 5-7, ws3 = users 8-10 ----------
INSERT INTO public.workspace_members (id, workspace_id, user_id, role, joined_at, created_at)
SELECT md5('workspace_member:' || n)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       ('20000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid,
       CASE WHEN n IN (1, 5, 8) THEN 'owner' WHEN n IN (2, 6, 9) THEN 'admin' ELSE 'member' END,
       timestamptz '2024-01-05 00:00:00+00' + n * interval '1 hour',
       timestamptz '2024-01-05 00:00:00+00' + n * interval '1 hour'
FROM (SELECT n, CASE WHEN n <= 4 THEN 1 WHEN n <= 7 THEN 2 ELSE 3 END AS k
      FROM generate_series(1, 10) AS n) AS m;

INSERT INTO public.invitations (id, workspace_id, email, role, token, invited_by, status, expires_at, created_at)
SELECT md5('invitation:' || k)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       'invitee' || k || '@example.org',
       'member',
       md5('invitation-token:' || k),
       ('20000000-0000-0000-0000-' || lpad(((ARRAY[1, 5, 8])[k])::text, 12, '0'))::uuid,
       (ARRAY['pending', 'accepted', 'expired'])[k],
       timestamptz '2024-01-15 00:00:00+00',
       timestamptz '2024-01-08 00:00:00+00'
FROM generate_series(1, 3) AS k;

INSERT INTO public.user_preferences (user_id, theme, locale, email_digest, updated_at)
SELECT ('20000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid,
       (ARRAY['system', 'light', 'dark'])[(n % 3) + 1],
       (ARRAY['en', 'fr', 'de'])[(n % 3) + 1],
       (ARRAY['never', 'daily', 'weekly'])[(n % 3) + 1],
       timestamptz '2024-01-06 00:00:00+00'
FROM generate_series(1, 10) AS n;

-- billing ---------------------------------------------------------------------
INSERT INTO public.plans (id, code, name, monthly_price_cents, seat_limit, features, created_at)
VALUES
  ('30000000-0000-0000-0000-000000000001', 'free',     'Free',     0,     3,    '{"moves_per_month": 20}',  '2024-01-01 00:00:00+00'),
  ('30000000-0000-0000-0000-000000000002', 'pro',      'Pro',      4900,  10,   '{"moves_per_month": 500}', '2024-01-01 00:00:00+00'),
  ('30000000-0000-0000-0000-000000000003', 'business', 'Business', 19900, NULL, '{"moves_per_month": null, "sso": true}', '2024-01-01 00:00:00+00');

INSERT INTO public.subscriptions (id, workspace_id, plan_id, status, seats, current_period_start, current_period_end, external_id, created_at, updated_at)
SELECT md5('subscription:' || k)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       ('30000000-0000-0000-0000-' || lpad(((ARRAY[2, 3, 1])[k])::text, 12, '0'))::uuid,
       (ARRAY['active', 'active', 'trialing'])[k],
       (ARRAY[4, 3, 3])[k],
       timestamptz '2024-01-01 00:00:00+00',
       timestamptz '2024-02-01 00:00:00+00',
       'sub_' || k,
       timestamptz '2024-01-02 00:00:00+00',
       timestamptz '2024-01-02 00:00:00+00'
FROM generate_series(1, 3) AS k;

INSERT INTO public.invoices (id, workspace_id, subscription_id, number, amount_cents, status, issued_at, due_at, paid_at, created_at)
SELECT md5('invoice:' || i)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       md5('subscription:' || k)::uuid,
       'INV-2024-' || lpad(i::text, 4, '0'),
       (ARRAY[4900, 19900, 0])[k],
       CASE WHEN i <= 6 THEN 'paid' ELSE 'open' END,
       timestamptz '2023-11-01 00:00:00+00' + ((i - 1) / 3) * interval '1 month',
       timestamptz '2023-11-15 00:00:00+00' + ((i - 1) / 3) * interval '1 month',
       CASE WHEN i <= 6 THEN timestamptz '2023-11-10 00:00:00+00' + ((i - 1) / 3) * interval '1 month' END,
       timestamptz '2023-11-01 00:00:00+00' + ((i - 1) / 3) * interval '1 month'
FROM (SELECT i, (i - 1) % 3 + 1 AS k FROM generate_series(1, 9) AS i) AS s;

INSERT INTO public.invoice_items (id, invoice_id, description, quantity, unit_amount_cents, amount_cents, created_at)
SELECT md5('invoice_item:' || i || ':' || j)::uuid,
       md5('invoice:' || i)::uuid,
       CASE j WHEN 1 THEN 'Subscription' ELSE 'Extra seats' END,
       j,
       1000 * j,
       1000 * j * j,
       timestamptz '2023-11-01 00:00:00+00'
FROM generate_series(1, 9) AS i, generate_series(1, 2) AS j;

INSERT INTO public.payment_methods (id, workspace_id, provider, brand, last4, exp_month, exp_year, is_default, external_id, created_at)
SELECT md5('payment_method:' || k)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       'stripe',
       (ARRAY['visa', 'mastercard', 'amex'])[k],
       lpad((4242 + k)::text, 4, '0'),
       k * 3,
       2027,
       true,
       'pm_' || k,
       timestamptz '2024-01-02 00:00:00+00'
FROM generate_series(1, 3) AS k;

-- projects & tasks --------------------------------------------------------------
INSERT INTO public.projects (id, workspace_id, owner_id, name, description, status, starts_on, ends_on, created_at, updated_at)
SELECT md5('project:' || p)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       ('20000000-0000-0000-0000-' || lpad(((ARRAY[1, 5, 8])[k])::text, 12, '0'))::uuid,
       (ARRAY['Q1 Launch', 'Brand Refresh', 'Lead Gen'])[(p - 1) / 3 + 1] || ' #' || p,
       'Sample project ' || p,
       CASE WHEN p = 9 THEN 'archived' ELSE 'active' END,
       date '2024-01-01' + p,
       date '2024-03-31' + p,
       timestamptz '2024-01-06 00:00:00+00' + p * interval '1 hour',
       timestamptz '2024-01-06 00:00:00+00' + p * interval '1 hour'
FROM (SELECT p, (p - 1) % 3 + 1 AS k FROM generate_series(1, 9) AS p) AS s;

INSERT INTO public.tasks (id, workspace_id, project_id, assignee_id, title, status, priority, due_date, completed_at, created_at, updated_at)
SELECT md5('task:' || t)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       md5('project:' || p)::uuid,
       ('20000000-0000-0000-0000-' || lpad(((ARRAY[1, 5, 8])[k] + t % (ARRAY[4, 3, 3])[k])::text, 12, '0'))::uuid,
       'Task ' || t,
       (ARRAY['todo', 'in_progress', 'blocked', 'done', 'cancelled'])[t % 5 + 1],
       t % 4 + 1,
       date '2024-02-01' + t,
       CASE WHEN t % 5 = 3 THEN timestamptz '2024-01-25 00:00:00+00' + t * interval '1 hour' END,
       timestamptz '2024-01-07 00:00:00+00' + t * interval '1 hour',
       timestamptz '2024-01-07 00:00:00+00' + t * interval '1 hour'
FROM (SELECT t, (t - 1) % 9 + 1 AS p, ((t - 1) % 9) % 3 + 1 AS k FROM generate_series(1, 60) AS t) AS s;

INSERT INTO public.labels (id, workspace_id, name, color, created_at)
SELECT md5('label:' || k || ':' || j)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       (ARRAY['bug', 'feature', 'urgent'])[j],
       (ARRAY['#d73a4a', '#a2eeef', '#ff9800'])[j],
       timestamptz '2024-01-06 00:00:00+00'
FROM generate_series(1, 3) AS k, generate_series(1, 3) AS j;

INSERT INTO public.task_labels (task_id, label_id, created_at)
SELECT md5('task:' || t)::uuid,
       md5('label:' || k || ':' || (t % 3 + 1))::uuid,
       timestamptz '2024-01-08 00:00:00+00'
FROM (SELECT t, ((t - 1) % 9) % 3 + 1 AS k FROM generate_series(1, 60) AS t) AS s;

-- moves ------------------------------------------------------------------------
INSERT INTO public.move_templates (id, workspace_id, name, description, category, default_steps, is_public, created_at)
VALUES
  (md5('move_template:0')::uuid, NULL, 'Product launch', 'Global template', 'launch',
   '["brief", "assets", "publish"]', true, '2024-01-01 00:00:00+00'),
  (md5('move_template:1')::uuid, '10000000-0000-0000-0000-000000000001', 'Webinar', NULL, 'events',
   '["invite", "host", "follow-up"]', false, '2024-01-03 00:00:00+00'),
  (md5('move_template:2')::uuid, '10000000-0000-0000-0000-000000000002', 'Newsletter', NULL, 'email',
   '["draft", "review", "send"]', false, '2024-01-03 00:00:00+00'),
  (md5('move_template:3')::uuid, '10000000-0000-0000-0000-000000000003', 'SEO sprint', NULL, 'seo',
   '["audit", "fix", "measure"]', false, '2024-01-03 00:00:00+00');

INSERT INTO public.moves (id, workspace_id, project_id, owner_id, template_id, title, description, channel, status,
                          priority, budget_cents, started_at, completed_at, created_at, updated_at)
SELECT md5('move:' || m)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       md5('project:' || (k + 3 * ((m / 3) % 3)))::uuid,
       ('20000000-0000-0000-0000-' || lpad(((ARRAY[1, 5, 8])[k] + m % (ARRAY[4, 3, 3])[k])::text, 12, '0'))::uuid,
       md5('move_template:' || k)::uuid,
       'Move ' || m,
       'Sample marketing move ' || m,
       (ARRAY['email', 'social', 'ads', 'seo', 'content', 'events', 'other'])[m % 7 + 1],
       st,
       m % 5 + 1,
       (m % 10) * 10000,
       CASE WHEN st <> 'planned' THEN timestamptz '2024-01-10 00:00:00+00' + m * interval '1 hour' END,
       CASE WHEN st IN ('completed', 'failed') THEN timestamptz '2024-01-20 00:00:00+00' + m * interval '1 hour' END,
       timestamptz '2024-01-09 00:00:00+00' + m * interval '1 hour',
       timestamptz '2024-01-09 00:00:00+00' + m * interval '1 hour'
FROM (SELECT m, (m - 1) % 3 + 1 AS k,
             (ARRAY['completed', 'completed', 'completed', 'completed', 'failed',
                    'failed', 'active', 'active', 'planned', 'cancelled'])[m % 10 + 1] AS st
      FROM generate_series(1, 200) AS m) AS s;

INSERT INTO public.move_steps (id, move_id, position, title, status, due_at, completed_at, created_at)
SELECT md5('move_step:' || m || ':' || j)::uuid,
       md5('move:' || m)::uuid,
       j,
       (ARRAY['Brief', 'Build', 'Ship'])[j],
       CASE WHEN j = 1 THEN 'done' ELSE 'pending' END,
       timestamptz '2024-02-01 00:00:00+00' + (m + j) * interval '1 hour',
       CASE WHEN j = 1 THEN timestamptz '2024-01-15 00:00:00+00' + m * interval '1 hour' END,
       timestamptz '2024-01-10 00:00:00+00'
FROM generate_series(1, 30) AS m, generate_series(1, 3) AS j;

INSERT INTO public.move_metrics (id, move_id, metric, value, recorded_at)
SELECT md5('move_metric:' || i)::uuid,
       md5('move:' || i)::uuid,
       (ARRAY['impressions', 'clicks', 'conversions', 'spend'])[i % 4 + 1],
       (i * 37) % 1000 + 0.5,
       timestamptz '2024-01-21 00:00:00+00' + i * interval '1 hour'
FROM generate_series(1, 100) AS i;

-- content ----------------------------------------------------------------------
INSERT INTO public.files (id, workspace_id, uploaded_by, bucket, path, mime_type, size_bytes, checksum, created_at)
SELECT md5('file:' || i)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       ('20000000-0000-0000-0000-' || lpad(((ARRAY[1, 5, 8])[k])::text, 12, '0'))::uuid,
       'uploads',
       'ws' || k || '/asset-' || i || '.png',
       'image/png',
       1024 * i,
       md5('file-content:' || i),
       timestamptz '2024-01-11 00:00:00+00' + i * interval '1 hour'
FROM (SELECT i, (i - 1) % 3 + 1 AS k FROM generate_series(1, 9) AS i) AS s;

INSERT INTO public.documents (id, workspace_id, title, body, status, created_by, created_at, updated_at)
SELECT md5('document:' || i)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       'Brief ' || i,
       'Positioning notes for brief ' || i || '; keep it short.',
       (ARRAY['draft', 'published', 'archived'])[(i - 1) / 3 + 1],
       ('20000000-0000-0000-0000-' || lpad(((ARRAY[1, 5, 8])[k])::text, 12, '0'))::uuid,
       timestamptz '2024-01-12 00:00:00+00' + i * interval '1 hour',
       timestamptz '2024-01-12 00:00:00+00' + i * interval '1 hour'
FROM (SELECT i, (i - 1) % 3 + 1 AS k FROM generate_series(1, 9) AS i) AS s;

INSERT INTO public.comments (id, workspace_id, task_id, author_id, body, created_at, updated_at)
SELECT md5('comment:' || c)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       md5('task:' || c)::uuid,
       ('20000000-0000-0000-0000-' || lpad(((ARRAY[1, 5, 8])[k] + c % (ARRAY[4, 3, 3])[k])::text, 12, '0'))::uuid,
       'Comment ' || c || ': looks good',
       timestamptz '2024-01-13 00:00:00+00' + c * interval '1 hour',
       timestamptz '2024-01-13 00:00:00+00' + c * interval '1 hour'
FROM (SELECT c, ((c - 1) % 9) % 3 + 1 AS k FROM generate_series(1, 30) AS c) AS s;

INSERT INTO public.tags (id, workspace_id, name, created_at)
SELECT md5('tag:' || k || ':' || j)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       (ARRAY['b2b', 'launch', 'evergreen'])[j],
       timestamptz '2024-01-06 00:00:00+00'
FROM generate_series(1, 3) AS k, generate_series(1, 3) AS j;

-- CRM --------------------------------------------------------------------------
INSERT INTO public.companies (id, workspace_id, name, domain, industry, size_band, created_at)
SELECT md5('company:' || i)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       'Company ' || i,
       'company' || i || '.example.net',
       (ARRAY['saas', 'retail', 'fintech'])[k],
       (ARRAY['1-10', '11-50', '51-200', '201-1000', '1000+'])[i % 5 + 1],
       timestamptz '2024-01-14 00:00:00+00' + i * interval '1 hour'
FROM (SELECT i, (i - 1) % 3 + 1 AS k FROM generate_series(1, 9) AS i) AS s;

INSERT INTO public.contacts (id, workspace_id, company_id, email, first_name, last_name, lifecycle_stage, created_at, updated_at)
SELECT md5('contact:' || i)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       md5('company:' || ((i - 1) % 9 + 1))::uuid,
       'contact' || i || '@customer.example',
       'First' || i,
       'Last' || i,
       (ARRAY['lead', 'mql', 'sql', 'customer', 'churned'])[i % 5 + 1],
       timestamptz '2024-01-14 00:00:00+00' + i * interval '1 hour',
       timestamptz '2024-01-14 00:00:00+00' + i * interval '1 hour'
FROM (SELECT i, ((i - 1) % 9) % 3 + 1 AS k FROM generate_series(1, 30) AS i) AS s;

INSERT INTO public.deals (id, workspace_id, contact_id, name, amount_cents, stage, expected_close, closed_at, created_at)
SELECT md5('deal:' || i)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       md5('contact:' || i)::uuid,
       'Deal ' || i,
       i * 150000,
       (ARRAY['prospecting', 'qualified', 'proposal', 'won', 'lost'])[i % 5 + 1],
       date '2024-03-01' + i,
       CASE WHEN i % 5 IN (3, 4) THEN timestamptz '2024-01-28 00:00:00+00' END,
       timestamptz '2024-01-15 00:00:00+00' + i * interval '1 hour'
FROM (SELECT i, ((i - 1) % 9) % 3 + 1 AS k FROM generate_series(1, 15) AS i) AS s;

-- integrations -------------------------------------------------------------------
INSERT INTO public.integrations (id, workspace_id, provider, status, config, connected_at, created_at)
SELECT md5('integration:' || k || ':' || j)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       (ARRAY['hubspot', 'slack'])[j],
       CASE WHEN k = 3 AND j = 2 THEN 'error' ELSE 'connected' END,
       '{}'::jsonb,
       timestamptz '2024-01-05 00:00:00+00',
       timestamptz '2024-01-05 00:00:00+00'
FROM generate_series(1, 3) AS k, generate_series(1, 2) AS j;

INSERT INTO public.api_keys (id, workspace_id, name, key_prefix, key_hash, scopes, created_by, last_used_at, created_at)
SELECT md5('api_key:' || k)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       'CI key',
       'pk_' || k,
       md5('api-key-secret:' || k),
       ARRAY['read', 'write'],
       ('20000000-0000-0000-0000-' || lpad(((ARRAY[1, 5, 8])[k])::text, 12, '0'))::uuid,
       timestamptz '2024-01-25 00:00:00+00',
       timestamptz '2024-01-05 00:00:00+00'
FROM generate_series(1, 3) AS k;

INSERT INTO public.webhooks (id, workspace_id, url, secret, events, is_active, created_at)
SELECT md5('webhook:' || k)::uuid,
       ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       'https://hooks.example.com/ws' || k,
       md5('webhook-secret:' || k),
       ARRAY['move.completed', 'move.failed'],
       true,
       timestamptz '2024-01-05 00:00:00+00'
FROM generate_series(1, 3) AS k;

INSERT INTO public.webhook_deliveries (id, webhook_id, event, payload, response_status, attempt, delivered_at, created_at)
SELECT md5('webhook_delivery:' || i)::uuid,
       md5('webhook:' || ((i - 1) % 3 + 1))::uuid,
       CASE WHEN i % 2 = 0 THEN 'move.completed' ELSE 'move.failed' END,
       jsonb_build_object('move_id', md5('move:' || i)::uuid),
       CASE WHEN i = 9 THEN 500 ELSE 200 END,
       1,
       timestamptz '2024-01-21 00:00:00+00' + i * interval '1 hour',
       timestamptz '2024-01-21 00:00:00+00' + i * interval '1 hour'
FROM generate_series(1, 9) AS i;

-- notifications & e-mail -----------------------------------------------------------
INSERT INTO public.notifications (id, workspace_id, user_id, kind, title, body, read_at, created_at)
SELECT md5('notification:' || i)::uuid,
       ('10000000-0000-0000-0000-' || lpad((CASE WHEN n <= 4 THEN 1 WHEN n <= 7 THEN 2 ELSE 3 END)::text, 12, '0'))::uuid,
       ('20000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid,
       'info',
       'Notification ' || i,
       'Something happened in your workspace',
       CASE WHEN i % 2 = 0 THEN timestamptz '2024-01-22 00:00:00+00' END,
       timestamptz '2024-01-21 00:00:00+00' + i * interval '1 hour'
FROM (SELECT i, (i - 1) % 10 + 1 AS n FROM generate_series(1, 20) AS i) AS s;

INSERT INTO public.notification_preferences (id, user_id, channel, event_type, enabled)
SELECT md5('notification_preference:' || n)::uuid,
       ('20000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid,
       (ARRAY['email', 'in_app', 'push'])[n % 3 + 1],
       'move.completed',
       n % 4 <> 0
FROM generate_series(1, 10) AS n;

INSERT INTO public.email_templates (id, key, subject, body_html, body_text, created_at, updated_at)
VALUES
  (md5('email_template:1')::uuid, 'welcome', 'Welcome to the team', '<p>Hi {{name}}</p>', 'Hi {{name}}', '2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00'),
  (md5('email_template:2')::uuid, 'invite', 'You''re invited', '<p>Join {{workspace}}</p>', 'Join {{workspace}}', '2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00'),
  (md5('email_template:3')::uuid, 'digest', 'Your weekly digest', '<p>{{summary}}</p>', '{{summary}}', '2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00');

INSERT INTO public.email_outbox (id, workspace_id, to_email, template_key, payload, status, attempts, send_after, sent_at, created_at)
SELECT md5('email_outbox:' || i)::uuid,
       ('10000000-0000-0000-0000-' || lpad(((i - 1) % 3 + 1)::text, 12, '0'))::uuid,
       'user' || lpad(i::text, 2, '0') || '@example.com',
       (ARRAY['welcome', 'invite', 'digest'])[(i - 1) % 3 + 1],
       '{}'::jsonb,
       CASE WHEN i <= 3 THEN 'sent' WHEN i = 4 THEN 'failed' ELSE 'queued' END,
       CASE WHEN i = 4 THEN 3 WHEN i <= 3 THEN 1 ELSE 0 END,
       timestamptz '2024-01-20 00:00:00+00',
       CASE WHEN i <= 3 THEN timestamptz '2024-01-20 00:05:00+00' END,
       timestamptz '2024-01-20 00:00:00+00'
FROM generate_series(1, 5) AS i;

-- audit & security ---------------------------------------------------------------
INSERT INTO public.audit_log (workspace_id, actor_id, action, entity_type, entity_id, changes, ip, created_at)
SELECT ('10000000-0000-0000-0000-' || lpad(k::text, 12, '0'))::uuid,
       ('20000000-0000-0000-0000-' || lpad(((ARRAY[1, 5, 8])[k])::text, 12, '0'))::uuid,
       (ARRAY['move.create', 'move.update', 'move.delete'])[i % 3 + 1],
       'move',
       md5('move:' || i)::uuid,
       jsonb_build_object('seq', i),
       inet '10.0.0.1',
       timestamptz '2024-01-22 00:00:00+00' + i * interval '1 minute'
FROM (SELECT i, (i - 1) % 3 + 1 AS k FROM generate_series(1, 30) AS i) AS s;

INSERT INTO public.sessions (id, user_id, user_agent, ip, created_at, last_active_at, expires_at)
SELECT md5('session:' || n)::uuid,
       ('20000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid,
       'Mozilla/5.0 (sample)',
       inet '192.0.2.10',
       timestamptz '2024-01-20 00:00:00+00',
       timestamptz '2024-01-20 08:00:00+00',
       timestamptz '2024-02-19 00:00:00+00'
FROM generate_series(1, 10) AS n;

INSERT INTO public.login_events (user_id, email, success, ip, created_at)
SELECT ('20000000-0000-0000-0000-' || lpad(((i - 1) % 10 + 1)::text, 12, '0'))::uuid,
       'user' || lpad(((i - 1) % 10 + 1)::text, 2, '0') || '@example.com',
       i % 5 <> 0,
       inet '192.0.2.10',
       timestamptz '2024-01-20 00:00:00+00' + i * interval '10 minutes'
FROM generate_series(1, 15) AS i;

INSERT INTO public.rate_limits (key, window_start, request_count, updated_at)
VALUES
  ('api:pk_1', '2024-01-25 10:00:00+00', 42, '2024-01-25 10:00:30+00'),
  ('api:pk_2', '2024-01-25 10:00:00+00', 7,  '2024-01-25 10:00:10+00'),
  ('login:192.0.2.10', '2024-01-25 10:00:00+00', 3, '2024-01-25 10:00:05+00');

INSERT INTO public.feature_flags (id, key, description, enabled, rollout_percent, rules, created_at, updated_at)
VALUES
  (md5('feature_flag:1')::uuid, 'new_dashboard',   'Redesigned dashboard',      true,  100, '{}', '2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00'),
  (md5('feature_flag:2')::uuid, 'ai_suggestions',  'AI move suggestions',       true,  25,  '{"plans": ["pro", "business"]}', '2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00'),
  (md5('feature_flag:3')::uuid, 'gamification',    'XP and achievements',       false, 0,   '{}', '2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00'),
  (md5('feature_flag:4')::uuid, 'campaigns_beta',  'Campaigns (Week 2)',        false, 0,   '{}', '2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00');

-- analytics & jobs -------------------------------------------------------------------
INSERT INTO public.events (workspace_id, user_id, name, properties, occurred_at)
SELECT ('10000000-0000-0000-0000-' || lpad((CASE WHEN n <= 4 THEN 1 WHEN n <= 7 THEN 2 ELSE 3 END)::text, 12, '0'))::uuid,
       ('20000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid,
       (ARRAY['move_created', 'move_completed', 'login', 'page_open', 'invite_sent'])[i % 5 + 1],
       jsonb_build_object('i', i),
       timestamptz '2024-01-23 00:00:00+00' + i * interval '5 minutes'
FROM (SELECT i, (i - 1) % 10 + 1 AS n FROM generate_series(1, 50) AS i) AS s;

INSERT INTO public.page_views (workspace_id, user_id, path, referrer, viewed_at)
SELECT ('10000000-0000-0000-0000-' || lpad((CASE WHEN n <= 4 THEN 1 WHEN n <= 7 THEN 2 ELSE 3 END)::text, 12, '0'))::uuid,
       ('20000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid,
       (ARRAY['/dashboard', '/moves', '/projects', '/settings'])[i % 4 + 1],
       CASE WHEN i % 3 = 0 THEN 'https://www.example.com/' END,
       timestamptz '2024-01-23 00:00:00+00' + i * interval '3 minutes'
FROM (SELECT i, (i - 1) % 10 + 1 AS n FROM generate_series(1, 50) AS i) AS s;

INSERT INTO public.background_jobs (id, workspace_id, queue, job_type, payload, status, attempts, run_after, finished_at, last_error, created_at)
SELECT md5('background_job:' || i)::uuid,
       ('10000000-0000-0000-0000-' || lpad(((i - 1) % 3 + 1)::text, 12, '0'))::uuid,
       'default',
       (ARRAY['send_digest', 'sync_hubspot', 'recompute_metrics'])[(i - 1) % 3 + 1],
       '{}'::jsonb,
       (ARRAY['done', 'done', 'failed', 'queued', 'running'])[i],
       CASE WHEN i = 3 THEN 5 ELSE 1 END,
       timestamptz '2024-01-24 00:00:00+00',
       CASE WHEN i <= 3 THEN timestamptz '2024-01-24 00:01:00+00' END,
       CASE WHEN i = 3 THEN 'HubSpot API returned 429; giving up' END,
       timestamptz '2024-01-24 00:00:00+00'
FROM generate_series(1, 5) AS i;

INSERT INTO public.system_settings (key, value, description, updated_at)
VALUES
  ('maintenance_mode',  'false',                    'Read-only mode for the app',     '2024-01-01 00:00:00+00'),
  ('default_plan',      '"free"',                   'Plan for new workspaces',        '2024-01-01 00:00:00+00'),
  ('move_status_flow',  '["planned", "active", "completed", "failed"]', 'Allowed move statuses', '2024-01-01 00:00:00+00');

INSERT INTO public.error_logs (workspace_id, source, level, message, context, created_at)
SELECT ('10000000-0000-0000-0000-' || lpad(((i - 1) % 3 + 1)::text, 12, '0'))::uuid,
       (ARRAY['api', 'worker', 'webhook'])[(i - 1) % 3 + 1],
       (ARRAY['warning', 'error', 'fatal'])[(i - 1) % 3 + 1],
       'Sample error ' || i,
       jsonb_build_object('attempt', i),
       timestamptz '2024-01-24 00:00:00+00' + i * interval '1 minute'
FROM generate_series(1, 5) AS i;
