-- rollback.sql
-- Manual rollback of Week 2 (migrations 013..017): the run-book's "Option 2".
-- Drops the 16 Week 2 tables in reverse creation order (with them go their
-- indexes, policies, triggers and foreign keys), then the 12 Week 2 functions
-- by full signature, which dropping the tables does not remove. Afterwards
-- the catalog is exactly the Week 1 baseline (43 tables, 42 FKs, 18 policies,
-- 89 indexes). Safe to run more than once (IF EXISTS everywhere).
-- No BEGIN/COMMIT: the runner wraps the file in a transaction.

-- 017
DROP TABLE IF EXISTS public.user_notifications CASCADE;
DROP TABLE IF EXISTS public.system_alerts CASCADE;
-- 016
DROP TABLE IF EXISTS public.market_insights CASCADE;
DROP TABLE IF EXISTS public.intelligence_signals CASCADE;
-- 015
DROP TABLE IF EXISTS public.agent_performance CASCADE;
DROP TABLE IF EXISTS public.agent_assignments CASCADE;
DROP TABLE IF EXISTS public.agent_capabilities CASCADE;
DROP TABLE IF EXISTS public.agent_registry CASCADE;
-- 014
DROP TABLE IF EXISTS public.user_stats CASCADE;
DROP TABLE IF EXISTS public.user_achievements CASCADE;
DROP TABLE IF EXISTS public.achievements CASCADE;
-- 013
DROP TABLE IF EXISTS public.campaign_cohorts CASCADE;
DROP TABLE IF EXISTS public.campaign_quests CASCADE;
DROP TABLE IF EXISTS public.campaigns CASCADE;
DROP TABLE IF EXISTS public.message_architecture CASCADE;
DROP TABLE IF EXISTS public.positioning CASCADE;

-- Functions, reverse order. 013 defined none (its triggers used the
-- baseline's public.set_updated_at(), which stays).
-- 017
DROP FUNCTION IF EXISTS public.get_user_unread_notifications(uuid, uuid, integer);
DROP FUNCTION IF EXISTS public.mark_notification_as_read(uuid, uuid);
DROP FUNCTION IF EXISTS public.acknowledge_alert(uuid, uuid);
DROP FUNCTION IF EXISTS public.send_user_notification(uuid, uuid, text, text, text, text, text, uuid);
DROP FUNCTION IF EXISTS public.create_system_alert(uuid, text, text, text, text, text, uuid, uuid, uuid, boolean);
-- 016
DROP FUNCTION IF EXISTS public.get_priority_signals(uuid, integer, integer);
DROP FUNCTION IF EXISTS public.get_active_insights(uuid, integer);
DROP FUNCTION IF EXISTS public.create_insight_from_signals(uuid, text, uuid[], uuid);
-- 015
DROP FUNCTION IF EXISTS public.record_agent_execution(uuid, boolean, integer, integer, numeric, uuid, uuid, text, jsonb);
-- 014
DROP FUNCTION IF EXISTS public.unlock_achievement(uuid, uuid);
DROP FUNCTION IF EXISTS public.update_experience_level(uuid, uuid, integer);
DROP FUNCTION IF EXISTS public.calculate_move_success_rate(uuid);
