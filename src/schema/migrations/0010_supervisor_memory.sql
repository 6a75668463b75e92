-- Supervisor memory tables (original 006), with consistent ids: user_id is a uuid tied to the user's
-- tenant by a composite FK and tenant_id is a required uuid (W32); duplicate unique-column indexes and
-- indexes without a query are gone. failure_patterns is platform-wide and not seeded (Shannon
-- hard-codes its patterns in Go).

CREATE TABLE public.decomposition_patterns (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id varchar(255) NOT NULL,
  user_id uuid,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  query_pattern text NOT NULL,
  subtasks jsonb NOT NULL,
  strategy varchar(100),
  success_rate double precision NOT NULL DEFAULT 0 CHECK (success_rate BETWEEN 0 AND 1),
  avg_duration_ms bigint NOT NULL DEFAULT 0,
  total_runs integer NOT NULL DEFAULT 1,
  tokens_used integer NOT NULL DEFAULT 0,
  error_message text,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_used timestamptz,
  CONSTRAINT decomposition_patterns_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE public.decomposition_patterns IS 'How past queries were decomposed into subtasks, per session.';
CREATE TRIGGER decomposition_patterns_set_updated_at BEFORE UPDATE ON public.decomposition_patterns
  FOR EACH ROW EXECUTE FUNCTION public.shannon_set_updated_at();
-- Patterns of a session (the supervisor's read); serves the tenant FK.
CREATE INDEX decomposition_patterns_tenant_session_idx ON public.decomposition_patterns (tenant_id, session_id);
-- FK (tenant_id, user_id).
CREATE INDEX decomposition_patterns_tenant_user_idx ON public.decomposition_patterns (tenant_id, user_id);
SELECT public.shannon_enable_tenant_rls('public.decomposition_patterns');

CREATE TABLE public.strategy_performance (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  strategy varchar(100) NOT NULL,
  total_runs integer NOT NULL DEFAULT 0,
  successful_runs integer NOT NULL DEFAULT 0,
  failed_runs integer NOT NULL DEFAULT 0,
  success_rate double precision NOT NULL DEFAULT 0 CHECK (success_rate BETWEEN 0 AND 1),
  avg_duration_ms bigint NOT NULL DEFAULT 0,
  avg_tokens_used integer NOT NULL DEFAULT 0,
  avg_cost_usd numeric(12, 6) NOT NULL DEFAULT 0,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Upsert per user and strategy; serves FK (tenant_id, user_id).
  CONSTRAINT strategy_performance_user_strategy_key UNIQUE (tenant_id, user_id, strategy),
  CONSTRAINT strategy_performance_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE public.strategy_performance IS 'Per user and strategy: run counts and averages.';
CREATE TRIGGER strategy_performance_set_updated_at BEFORE UPDATE ON public.strategy_performance
  FOR EACH ROW EXECUTE FUNCTION public.shannon_set_updated_at();
SELECT public.shannon_enable_tenant_rls('public.strategy_performance');

CREATE TABLE public.team_compositions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id varchar(255) NOT NULL,
  user_id uuid,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  task_type varchar(100) NOT NULL,
  agent_roles jsonb NOT NULL,
  coordination_mode varchar(50),
  performance_score double precision,
  tokens_used integer NOT NULL DEFAULT 0,
  duration_ms bigint,
  success boolean,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT team_compositions_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE public.team_compositions IS 'Agent team line-ups used for a task type and how they performed.';
-- Compositions of a session; serves the tenant FK.
CREATE INDEX team_compositions_tenant_session_idx ON public.team_compositions (tenant_id, session_id);
-- FK (tenant_id, user_id).
CREATE INDEX team_compositions_tenant_user_idx ON public.team_compositions (tenant_id, user_id);
SELECT public.shannon_enable_tenant_rls('public.team_compositions');

CREATE TABLE public.failure_patterns (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pattern_name varchar(255) NOT NULL,
  pattern_description text,
  indicators jsonb NOT NULL,
  mitigation_strategy text NOT NULL,
  occurrence_count integer NOT NULL DEFAULT 1,
  last_occurred timestamptz,
  severity varchar(20) NOT NULL DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Lookup and upsert by name.
  CONSTRAINT failure_patterns_pattern_name_key UNIQUE (pattern_name)
);
COMMENT ON TABLE public.failure_patterns IS 'Platform-wide catalogue of known failure patterns and mitigations (not tenant-scoped).';
CREATE TRIGGER failure_patterns_set_updated_at BEFORE UPDATE ON public.failure_patterns
  FOR EACH ROW EXECUTE FUNCTION public.shannon_set_updated_at();

CREATE TABLE public.user_preferences (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  expertise_level varchar(20) NOT NULL DEFAULT 'intermediate'
    CHECK (expertise_level IN ('beginner', 'intermediate', 'expert')),
  preferred_style varchar(20) NOT NULL DEFAULT 'balanced',
  domain_focus jsonb NOT NULL DEFAULT '[]',
  speed_vs_accuracy double precision NOT NULL DEFAULT 0.7 CHECK (speed_vs_accuracy BETWEEN 0 AND 1),
  avg_query_complexity double precision NOT NULL DEFAULT 5.0,
  avg_response_length integer NOT NULL DEFAULT 1000,
  interaction_count integer NOT NULL DEFAULT 0,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- One row per user; serves FK (tenant_id, user_id).
  CONSTRAINT user_preferences_user_key UNIQUE (tenant_id, user_id),
  CONSTRAINT user_preferences_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE public.user_preferences IS 'Learned per-user preferences for the supervisor.';
CREATE TRIGGER user_preferences_set_updated_at BEFORE UPDATE ON public.user_preferences
  FOR EACH ROW EXECUTE FUNCTION public.shannon_set_updated_at();
SELECT public.shannon_enable_tenant_rls('public.user_preferences');
