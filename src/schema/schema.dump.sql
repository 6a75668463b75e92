-- GENERATED from the migrations by scripts/update-schema-dump.ts; do not edit (test/integration/migrator.test.ts compares it)
-- tables
auth.api_keys TABLE RLS FORCED
auth.audit_logs PARTITIONED BY RANGE (created_at) RLS FORCED
auth.audit_logs_default TABLE PARTITION OF auth.audit_logs DEFAULT RLS FORCED
auth.refresh_tokens TABLE RLS FORCED
auth.tenants TABLE
auth.users TABLE RLS FORCED
public.agent_executions PARTITIONED BY RANGE (created_at) RLS FORCED
public.agent_executions_default TABLE PARTITION OF agent_executions DEFAULT RLS FORCED
public.audit_logs PARTITIONED BY RANGE (created_at) RLS FORCED
public.audit_logs_default TABLE PARTITION OF audit_logs DEFAULT RLS FORCED
public.decomposition_patterns TABLE RLS FORCED
public.event_logs PARTITIONED BY RANGE (created_at) RLS FORCED
public.event_logs_default TABLE PARTITION OF event_logs DEFAULT RLS FORCED
public.failure_patterns TABLE
public.learning_cases TABLE RLS FORCED
public.memory_collection_versions TABLE
public.memory_outbox TABLE RLS FORCED
public.memory_points TABLE RLS FORCED
public.prompts TABLE
public.scheduled_task_executions TABLE RLS FORCED
public.scheduled_tasks TABLE RLS FORCED
public.session_archives TABLE RLS FORCED
public.sessions TABLE RLS FORCED
public.shannon_schema_migrations TABLE
public.strategy_performance TABLE RLS FORCED
public.task_execution_keys TABLE RLS FORCED
public.task_executions PARTITIONED BY RANGE (started_at) RLS FORCED
public.task_executions_default TABLE PARTITION OF task_executions DEFAULT RLS FORCED
public.team_compositions TABLE RLS FORCED
public.token_usage PARTITIONED BY RANGE (created_at) RLS FORCED
public.token_usage_default TABLE PARTITION OF token_usage DEFAULT RLS FORCED
public.tool_calls TABLE RLS FORCED
public.tool_executions PARTITIONED BY RANGE (created_at) RLS FORCED
public.tool_executions_default TABLE PARTITION OF tool_executions DEFAULT RLS FORCED
public.usage_daily_aggregates TABLE RLS FORCED
public.user_preferences TABLE RLS FORCED
public.users TABLE RLS FORCED

-- columns
auth.api_keys.created_at timestamp with time zone NOT NULL DEFAULT now()
auth.api_keys.description text
auth.api_keys.expires_at timestamp with time zone
auth.api_keys.id uuid NOT NULL DEFAULT gen_random_uuid()
auth.api_keys.is_active boolean NOT NULL DEFAULT true
auth.api_keys.key_hash text NOT NULL
auth.api_keys.key_prefix character varying(20) NOT NULL
auth.api_keys.last_used timestamp with time zone
auth.api_keys.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
auth.api_keys.name character varying(255) NOT NULL
auth.api_keys.rate_limit_per_hour integer NOT NULL DEFAULT 1000
auth.api_keys.revoked_at timestamp with time zone
auth.api_keys.scopes text[] NOT NULL DEFAULT ARRAY['workflows:read'::text, 'workflows:write'::text, 'agents:execute'::text]
auth.api_keys.tenant_id uuid NOT NULL
auth.api_keys.user_id uuid
auth.audit_logs.created_at timestamp with time zone NOT NULL DEFAULT now()
auth.audit_logs.details jsonb NOT NULL DEFAULT '{}'::jsonb
auth.audit_logs.event_type character varying(100) NOT NULL
auth.audit_logs.id uuid NOT NULL DEFAULT gen_random_uuid()
auth.audit_logs.idempotency_key text NOT NULL
auth.audit_logs.ip_address inet
auth.audit_logs.tenant_id uuid NOT NULL
auth.audit_logs.user_agent text
auth.audit_logs.user_id uuid
auth.refresh_tokens.created_at timestamp with time zone NOT NULL DEFAULT now()
auth.refresh_tokens.expires_at timestamp with time zone NOT NULL
auth.refresh_tokens.id uuid NOT NULL DEFAULT gen_random_uuid()
auth.refresh_tokens.ip_address inet
auth.refresh_tokens.revoked boolean NOT NULL DEFAULT false
auth.refresh_tokens.revoked_at timestamp with time zone
auth.refresh_tokens.tenant_id uuid NOT NULL
auth.refresh_tokens.token_hash text NOT NULL
auth.refresh_tokens.user_agent text
auth.refresh_tokens.user_id uuid NOT NULL
auth.tenants.created_at timestamp with time zone NOT NULL DEFAULT now()
auth.tenants.id uuid NOT NULL DEFAULT gen_random_uuid()
auth.tenants.is_active boolean NOT NULL DEFAULT true
auth.tenants.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
auth.tenants.monthly_token_usage bigint NOT NULL DEFAULT 0
auth.tenants.name character varying(255) NOT NULL
auth.tenants.plan character varying(50) NOT NULL DEFAULT 'free'::character varying
auth.tenants.rate_limit_per_hour integer NOT NULL DEFAULT 1000
auth.tenants.slug character varying(100) NOT NULL
auth.tenants.token_limit bigint NOT NULL DEFAULT 10000
auth.tenants.updated_at timestamp with time zone NOT NULL DEFAULT now()
auth.tenants.workspace_max_size_gb integer NOT NULL DEFAULT 5
auth.tenants.workspace_retention_days integer NOT NULL DEFAULT 7
auth.users.created_at timestamp with time zone NOT NULL DEFAULT now()
auth.users.email character varying(255) NOT NULL
auth.users.email_verified_at timestamp with time zone
auth.users.full_name character varying(255)
auth.users.id uuid NOT NULL DEFAULT gen_random_uuid()
auth.users.is_active boolean NOT NULL DEFAULT true
auth.users.is_verified boolean NOT NULL DEFAULT false
auth.users.last_login timestamp with time zone
auth.users.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
auth.users.password_hash text NOT NULL
auth.users.role character varying(50) NOT NULL DEFAULT 'user'::character varying
auth.users.tenant_id uuid NOT NULL
auth.users.updated_at timestamp with time zone NOT NULL DEFAULT now()
auth.users.username character varying(100) NOT NULL
public.agent_executions.agent_id character varying(255) NOT NULL
public.agent_executions.created_at timestamp with time zone NOT NULL DEFAULT now()
public.agent_executions.duration_ms bigint
public.agent_executions.error_message text
public.agent_executions.id uuid NOT NULL DEFAULT gen_random_uuid()
public.agent_executions.idempotency_key text NOT NULL
public.agent_executions.input text NOT NULL
public.agent_executions.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
public.agent_executions.model_used character varying(100)
public.agent_executions.output text
public.agent_executions.state character varying(50)
public.agent_executions.strategy character varying(100)
public.agent_executions.task_id character varying(255)
public.agent_executions.tenant_id uuid NOT NULL
public.agent_executions.tokens_used integer NOT NULL DEFAULT 0
public.agent_executions.updated_at timestamp with time zone NOT NULL DEFAULT now()
public.agent_executions.workflow_id character varying(255)
public.audit_logs.action character varying(255) NOT NULL
public.audit_logs.created_at timestamp with time zone NOT NULL DEFAULT now()
public.audit_logs.entity_id character varying(255)
public.audit_logs.entity_type character varying(100)
public.audit_logs.id uuid NOT NULL DEFAULT gen_random_uuid()
public.audit_logs.idempotency_key text NOT NULL
public.audit_logs.ip_address inet
public.audit_logs.new_value jsonb
public.audit_logs.old_value jsonb
public.audit_logs.request_id character varying(255)
public.audit_logs.tenant_id uuid NOT NULL
public.audit_logs.user_agent text
public.audit_logs.user_id uuid
public.decomposition_patterns.avg_duration_ms bigint NOT NULL DEFAULT 0
public.decomposition_patterns.created_at timestamp with time zone NOT NULL DEFAULT now()
public.decomposition_patterns.error_message text
public.decomposition_patterns.id uuid NOT NULL DEFAULT gen_random_uuid()
public.decomposition_patterns.last_used timestamp with time zone
public.decomposition_patterns.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
public.decomposition_patterns.query_pattern text NOT NULL
public.decomposition_patterns.session_id character varying(255) NOT NULL
public.decomposition_patterns.strategy character varying(100)
public.decomposition_patterns.subtasks jsonb NOT NULL
public.decomposition_patterns.success_rate double precision NOT NULL DEFAULT 0
public.decomposition_patterns.tenant_id uuid NOT NULL
public.decomposition_patterns.tokens_used integer NOT NULL DEFAULT 0
public.decomposition_patterns.total_runs integer NOT NULL DEFAULT 1
public.decomposition_patterns.updated_at timestamp with time zone NOT NULL DEFAULT now()
public.decomposition_patterns.user_id uuid
public.event_logs.agent_id character varying(255)
public.event_logs.created_at timestamp with time zone NOT NULL DEFAULT now()
public.event_logs.id uuid NOT NULL DEFAULT gen_random_uuid()
public.event_logs.idempotency_key text NOT NULL
public.event_logs.message text
public.event_logs.payload jsonb NOT NULL DEFAULT '{}'::jsonb
public.event_logs.seq bigint
public.event_logs.stream_id character varying(64)
public.event_logs.task_id uuid
public.event_logs.tenant_id uuid NOT NULL
public.event_logs.timestamp timestamp with time zone NOT NULL DEFAULT now()
public.event_logs.type character varying(100) NOT NULL
public.event_logs.workflow_id character varying(255) NOT NULL
public.failure_patterns.created_at timestamp with time zone NOT NULL DEFAULT now()
public.failure_patterns.id uuid NOT NULL DEFAULT gen_random_uuid()
public.failure_patterns.indicators jsonb NOT NULL
public.failure_patterns.last_occurred timestamp with time zone
public.failure_patterns.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
public.failure_patterns.mitigation_strategy text NOT NULL
public.failure_patterns.occurrence_count integer NOT NULL DEFAULT 1
public.failure_patterns.pattern_description text
public.failure_patterns.pattern_name character varying(255) NOT NULL
public.failure_patterns.severity character varying(20) NOT NULL DEFAULT 'medium'::character varying
public.failure_patterns.updated_at timestamp with time zone NOT NULL DEFAULT now()
public.hypopg_list_indexes.am_name name
public.hypopg_list_indexes.index_name text
public.hypopg_list_indexes.indexrelid oid
public.hypopg_list_indexes.schema_name name
public.hypopg_list_indexes.table_name name
public.learning_cases.action_taken jsonb NOT NULL
public.learning_cases.created_at timestamp with time zone NOT NULL DEFAULT now()
public.learning_cases.id uuid NOT NULL DEFAULT gen_random_uuid()
public.learning_cases.idempotency_key text NOT NULL
public.learning_cases.input_hash character varying(64) NOT NULL
public.learning_cases.input_summary text
public.learning_cases.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
public.learning_cases.outcome jsonb NOT NULL
public.learning_cases.reward double precision
public.learning_cases.task_id uuid
public.learning_cases.tenant_id uuid NOT NULL
public.learning_cases.user_id uuid
public.memory_collection_versions.activated_at timestamp with time zone
public.memory_collection_versions.collection text NOT NULL
public.memory_collection_versions.created_at timestamp with time zone NOT NULL DEFAULT now()
public.memory_collection_versions.dimension integer NOT NULL
public.memory_collection_versions.embedding_model text
public.memory_collection_versions.physical_name text NOT NULL
public.memory_collection_versions.state text NOT NULL
public.memory_collection_versions.version integer NOT NULL
public.memory_outbox.attempts integer NOT NULL DEFAULT 0
public.memory_outbox.collection text NOT NULL
public.memory_outbox.created_at timestamp with time zone NOT NULL DEFAULT now()
public.memory_outbox.delivered_at timestamp with time zone
public.memory_outbox.id bigint NOT NULL
public.memory_outbox.last_error text
public.memory_outbox.next_attempt_at timestamp with time zone NOT NULL DEFAULT now()
public.memory_outbox.op text NOT NULL
public.memory_outbox.point_id uuid NOT NULL
public.memory_outbox.point_version bigint NOT NULL
public.memory_outbox.tenant_id uuid NOT NULL
public.memory_outbox.xact xid8 DEFAULT pg_current_xact_id()
public.memory_points.collection text NOT NULL
public.memory_points.created_at timestamp with time zone NOT NULL DEFAULT now()
public.memory_points.id uuid NOT NULL
public.memory_points.key bigint NOT NULL
public.memory_points.payload jsonb NOT NULL DEFAULT '{}'::jsonb
public.memory_points.tenant_id uuid NOT NULL
public.memory_points.updated_at timestamp with time zone NOT NULL DEFAULT now()
public.memory_points.vector bytea NOT NULL
public.memory_points.version bigint NOT NULL DEFAULT 1
public.pg_stat_statements.blk_read_time double precision
public.pg_stat_statements.blk_write_time double precision
public.pg_stat_statements.calls bigint
public.pg_stat_statements.dbid oid
public.pg_stat_statements.jit_emission_count bigint
public.pg_stat_statements.jit_emission_time double precision
public.pg_stat_statements.jit_functions bigint
public.pg_stat_statements.jit_generation_time double precision
public.pg_stat_statements.jit_inlining_count bigint
public.pg_stat_statements.jit_inlining_time double precision
public.pg_stat_statements.jit_optimization_count bigint
public.pg_stat_statements.jit_optimization_time double precision
public.pg_stat_statements.local_blks_dirtied bigint
public.pg_stat_statements.local_blks_hit bigint
public.pg_stat_statements.local_blks_read bigint
public.pg_stat_statements.local_blks_written bigint
public.pg_stat_statements.max_exec_time double precision
public.pg_stat_statements.max_plan_time double precision
public.pg_stat_statements.mean_exec_time double precision
public.pg_stat_statements.mean_plan_time double precision
public.pg_stat_statements.min_exec_time double precision
public.pg_stat_statements.min_plan_time double precision
public.pg_stat_statements.plans bigint
public.pg_stat_statements.query text
public.pg_stat_statements.queryid bigint
public.pg_stat_statements.rows bigint
public.pg_stat_statements.shared_blks_dirtied bigint
public.pg_stat_statements.shared_blks_hit bigint
public.pg_stat_statements.shared_blks_read bigint
public.pg_stat_statements.shared_blks_written bigint
public.pg_stat_statements.stddev_exec_time double precision
public.pg_stat_statements.stddev_plan_time double precision
public.pg_stat_statements.temp_blk_read_time double precision
public.pg_stat_statements.temp_blk_write_time double precision
public.pg_stat_statements.temp_blks_read bigint
public.pg_stat_statements.temp_blks_written bigint
public.pg_stat_statements.toplevel boolean
public.pg_stat_statements.total_exec_time double precision
public.pg_stat_statements.total_plan_time double precision
public.pg_stat_statements.userid oid
public.pg_stat_statements.wal_bytes numeric
public.pg_stat_statements.wal_fpi bigint
public.pg_stat_statements.wal_records bigint
public.pg_stat_statements_info.dealloc bigint
public.pg_stat_statements_info.stats_reset timestamp with time zone
public.prompts.content text NOT NULL
public.prompts.created_at timestamp with time zone NOT NULL DEFAULT now()
public.prompts.created_by uuid
public.prompts.id uuid NOT NULL DEFAULT gen_random_uuid()
public.prompts.is_active boolean NOT NULL DEFAULT false
public.prompts.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
public.prompts.name character varying(255) NOT NULL
public.prompts.rollout_percentage integer NOT NULL DEFAULT 0
public.prompts.version character varying(50) NOT NULL
public.scheduled_task_executions.completed_at timestamp with time zone
public.scheduled_task_executions.error_message text
public.scheduled_task_executions.id uuid NOT NULL DEFAULT gen_random_uuid()
public.scheduled_task_executions.schedule_id uuid NOT NULL
public.scheduled_task_executions.status character varying(50)
public.scheduled_task_executions.task_id character varying(255) NOT NULL
public.scheduled_task_executions.tenant_id uuid NOT NULL
public.scheduled_task_executions.total_cost_usd numeric(12,6)
public.scheduled_task_executions.triggered_at timestamp with time zone NOT NULL DEFAULT now()
public.scheduled_tasks.created_at timestamp with time zone NOT NULL DEFAULT now()
public.scheduled_tasks.cron_expression character varying(100) NOT NULL
public.scheduled_tasks.description text
public.scheduled_tasks.failed_runs integer NOT NULL DEFAULT 0
public.scheduled_tasks.id uuid NOT NULL DEFAULT gen_random_uuid()
public.scheduled_tasks.last_run_at timestamp with time zone
public.scheduled_tasks.max_budget_per_run_usd numeric(10,4)
public.scheduled_tasks.name character varying(255) NOT NULL
public.scheduled_tasks.next_run_at timestamp with time zone
public.scheduled_tasks.pause_reason text
public.scheduled_tasks.status character varying(20) NOT NULL DEFAULT 'ACTIVE'::character varying
public.scheduled_tasks.successful_runs integer NOT NULL DEFAULT 0
public.scheduled_tasks.task_context jsonb NOT NULL DEFAULT '{}'::jsonb
public.scheduled_tasks.task_query text NOT NULL
public.scheduled_tasks.temporal_schedule_id character varying(255) NOT NULL
public.scheduled_tasks.tenant_id uuid NOT NULL
public.scheduled_tasks.timeout_seconds integer NOT NULL DEFAULT 3600
public.scheduled_tasks.timezone character varying(50) NOT NULL DEFAULT 'UTC'::character varying
public.scheduled_tasks.total_runs integer NOT NULL DEFAULT 0
public.scheduled_tasks.updated_at timestamp with time zone NOT NULL DEFAULT now()
public.scheduled_tasks.user_id uuid NOT NULL
public.session_archives.id uuid NOT NULL DEFAULT gen_random_uuid()
public.session_archives.idempotency_key text NOT NULL
public.session_archives.message_count integer NOT NULL DEFAULT 0
public.session_archives.session_id character varying(255) NOT NULL
public.session_archives.session_started_at timestamp with time zone
public.session_archives.snapshot_data jsonb NOT NULL DEFAULT '{}'::jsonb
public.session_archives.snapshot_taken_at timestamp with time zone NOT NULL DEFAULT now()
public.session_archives.tenant_id uuid NOT NULL
public.session_archives.total_cost_usd numeric(12,6) NOT NULL DEFAULT 0
public.session_archives.total_tokens integer NOT NULL DEFAULT 0
public.session_archives.ttl_expires_at timestamp with time zone
public.session_archives.user_id uuid
public.sessions.context jsonb NOT NULL DEFAULT '{}'::jsonb
public.sessions.created_at timestamp with time zone NOT NULL DEFAULT now()
public.sessions.deleted_at timestamp with time zone
public.sessions.deleted_by uuid
public.sessions.expires_at timestamp with time zone
public.sessions.external_id character varying(255)
public.sessions.id uuid NOT NULL DEFAULT gen_random_uuid()
public.sessions.tenant_id uuid NOT NULL
public.sessions.token_budget integer NOT NULL DEFAULT 10000
public.sessions.tokens_used integer NOT NULL DEFAULT 0
public.sessions.updated_at timestamp with time zone NOT NULL DEFAULT now()
public.sessions.user_id uuid
public.shannon_schema_migrations.applied_at timestamp with time zone NOT NULL DEFAULT now()
public.shannon_schema_migrations.checksum text NOT NULL
public.shannon_schema_migrations.duration_ms integer NOT NULL
public.shannon_schema_migrations.name text NOT NULL
public.shannon_schema_migrations.version integer NOT NULL
public.strategy_performance.avg_cost_usd numeric(12,6) NOT NULL DEFAULT 0
public.strategy_performance.avg_duration_ms bigint NOT NULL DEFAULT 0
public.strategy_performance.avg_tokens_used integer NOT NULL DEFAULT 0
public.strategy_performance.created_at timestamp with time zone NOT NULL DEFAULT now()
public.strategy_performance.failed_runs integer NOT NULL DEFAULT 0
public.strategy_performance.id uuid NOT NULL DEFAULT gen_random_uuid()
public.strategy_performance.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
public.strategy_performance.strategy character varying(100) NOT NULL
public.strategy_performance.success_rate double precision NOT NULL DEFAULT 0
public.strategy_performance.successful_runs integer NOT NULL DEFAULT 0
public.strategy_performance.tenant_id uuid NOT NULL
public.strategy_performance.total_runs integer NOT NULL DEFAULT 0
public.strategy_performance.updated_at timestamp with time zone NOT NULL DEFAULT now()
public.strategy_performance.user_id uuid NOT NULL
public.task_execution_keys.created_at timestamp with time zone NOT NULL DEFAULT now()
public.task_execution_keys.started_at timestamp with time zone NOT NULL
public.task_execution_keys.task_id uuid NOT NULL
public.task_execution_keys.tenant_id uuid NOT NULL
public.task_execution_keys.workflow_id character varying(255) NOT NULL
public.task_executions.agents_used integer NOT NULL DEFAULT 0
public.task_executions.cache_aware_total_tokens integer NOT NULL DEFAULT 0
public.task_executions.cache_creation_tokens integer NOT NULL DEFAULT 0
public.task_executions.cache_hits integer NOT NULL DEFAULT 0
public.task_executions.cache_read_tokens integer NOT NULL DEFAULT 0
public.task_executions.completed_at timestamp with time zone
public.task_executions.completion_tokens integer NOT NULL DEFAULT 0
public.task_executions.complexity_score numeric(6,3)
public.task_executions.created_at timestamp with time zone NOT NULL DEFAULT now()
public.task_executions.duration_ms integer
public.task_executions.error_message text
public.task_executions.id uuid NOT NULL DEFAULT gen_random_uuid()
public.task_executions.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
public.task_executions.mode character varying(50)
public.task_executions.model_used character varying(100)
public.task_executions.prompt_tokens integer NOT NULL DEFAULT 0
public.task_executions.provider character varying(50)
public.task_executions.query text NOT NULL
public.task_executions.response jsonb NOT NULL DEFAULT '{}'::jsonb
public.task_executions.result text
public.task_executions.schedule_id uuid
public.task_executions.session_id character varying(255)
public.task_executions.started_at timestamp with time zone NOT NULL DEFAULT now()
public.task_executions.status character varying(50) NOT NULL
public.task_executions.tenant_id uuid NOT NULL
public.task_executions.tools_invoked integer NOT NULL DEFAULT 0
public.task_executions.total_cost_usd numeric(12,6) NOT NULL DEFAULT 0
public.task_executions.total_tokens integer NOT NULL DEFAULT 0
public.task_executions.trigger_type character varying(32) NOT NULL DEFAULT 'api'::character varying
public.task_executions.updated_at timestamp with time zone NOT NULL DEFAULT now()
public.task_executions.user_id uuid
public.task_executions.workflow_id character varying(255) NOT NULL
public.team_compositions.agent_roles jsonb NOT NULL
public.team_compositions.coordination_mode character varying(50)
public.team_compositions.created_at timestamp with time zone NOT NULL DEFAULT now()
public.team_compositions.duration_ms bigint
public.team_compositions.id uuid NOT NULL DEFAULT gen_random_uuid()
public.team_compositions.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
public.team_compositions.performance_score double precision
public.team_compositions.session_id character varying(255) NOT NULL
public.team_compositions.success boolean
public.team_compositions.task_type character varying(100) NOT NULL
public.team_compositions.tenant_id uuid NOT NULL
public.team_compositions.tokens_used integer NOT NULL DEFAULT 0
public.team_compositions.user_id uuid
public.token_usage.agent_id character varying(255)
public.token_usage.cache_aware_total_tokens integer NOT NULL DEFAULT 0
public.token_usage.cache_creation_tokens integer NOT NULL DEFAULT 0
public.token_usage.cache_read_tokens integer NOT NULL DEFAULT 0
public.token_usage.call_sequence integer NOT NULL DEFAULT 0
public.token_usage.completion_tokens integer NOT NULL
public.token_usage.cost_usd numeric(12,6) NOT NULL
public.token_usage.created_at timestamp with time zone NOT NULL DEFAULT now()
public.token_usage.id uuid NOT NULL DEFAULT gen_random_uuid()
public.token_usage.idempotency_key text NOT NULL
public.token_usage.model character varying(255) NOT NULL
public.token_usage.prompt_tokens integer NOT NULL
public.token_usage.provider character varying(50) NOT NULL
public.token_usage.task_id uuid
public.token_usage.tenant_id uuid NOT NULL
public.token_usage.total_tokens integer NOT NULL
public.token_usage.user_id uuid
public.tool_calls.agent_execution_id uuid
public.tool_calls.created_at timestamp with time zone NOT NULL DEFAULT now()
public.tool_calls.error text
public.tool_calls.execution_time_ms integer
public.tool_calls.id uuid NOT NULL DEFAULT gen_random_uuid()
public.tool_calls.parameters jsonb NOT NULL DEFAULT '{}'::jsonb
public.tool_calls.result jsonb
public.tool_calls.status character varying(50) NOT NULL DEFAULT 'pending'::character varying
public.tool_calls.tenant_id uuid NOT NULL
public.tool_calls.tool_name character varying(255) NOT NULL
public.tool_executions.agent_execution_id uuid
public.tool_executions.agent_id character varying(255)
public.tool_executions.created_at timestamp with time zone NOT NULL DEFAULT now()
public.tool_executions.duration_ms bigint
public.tool_executions.error text
public.tool_executions.id uuid NOT NULL DEFAULT gen_random_uuid()
public.tool_executions.idempotency_key text NOT NULL
public.tool_executions.input_params jsonb NOT NULL DEFAULT '{}'::jsonb
public.tool_executions.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
public.tool_executions.output text
public.tool_executions.success boolean NOT NULL DEFAULT true
public.tool_executions.tenant_id uuid NOT NULL
public.tool_executions.tokens_consumed integer NOT NULL DEFAULT 0
public.tool_executions.tool_name character varying(255) NOT NULL
public.tool_executions.workflow_id character varying(255)
public.usage_daily_aggregates.avg_duration_ms integer
public.usage_daily_aggregates.cache_aware_total_tokens bigint NOT NULL DEFAULT 0
public.usage_daily_aggregates.cache_hit_rate numeric(5,4)
public.usage_daily_aggregates.cache_hits integer NOT NULL DEFAULT 0
public.usage_daily_aggregates.cancelled_tasks integer NOT NULL DEFAULT 0
public.usage_daily_aggregates.created_at timestamp with time zone NOT NULL DEFAULT now()
public.usage_daily_aggregates.date date NOT NULL
public.usage_daily_aggregates.duration_samples integer NOT NULL DEFAULT 0
public.usage_daily_aggregates.failed_tasks integer NOT NULL DEFAULT 0
public.usage_daily_aggregates.id uuid NOT NULL DEFAULT gen_random_uuid()
public.usage_daily_aggregates.model_usage jsonb NOT NULL DEFAULT '{}'::jsonb
public.usage_daily_aggregates.successful_tasks integer NOT NULL DEFAULT 0
public.usage_daily_aggregates.tenant_id uuid NOT NULL
public.usage_daily_aggregates.tool_distribution jsonb NOT NULL DEFAULT '{}'::jsonb
public.usage_daily_aggregates.tools_invoked integer NOT NULL DEFAULT 0
public.usage_daily_aggregates.total_cost_usd numeric(16,6) NOT NULL DEFAULT 0
public.usage_daily_aggregates.total_duration_ms bigint NOT NULL DEFAULT 0
public.usage_daily_aggregates.total_tasks integer NOT NULL DEFAULT 0
public.usage_daily_aggregates.total_tokens bigint NOT NULL DEFAULT 0
public.usage_daily_aggregates.updated_at timestamp with time zone NOT NULL DEFAULT now()
public.usage_daily_aggregates.user_id uuid
public.user_preferences.avg_query_complexity double precision NOT NULL DEFAULT 5.0
public.user_preferences.avg_response_length integer NOT NULL DEFAULT 1000
public.user_preferences.created_at timestamp with time zone NOT NULL DEFAULT now()
public.user_preferences.domain_focus jsonb NOT NULL DEFAULT '[]'::jsonb
public.user_preferences.expertise_level character varying(20) NOT NULL DEFAULT 'intermediate'::character varying
public.user_preferences.id uuid NOT NULL DEFAULT gen_random_uuid()
public.user_preferences.interaction_count integer NOT NULL DEFAULT 0
public.user_preferences.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
public.user_preferences.preferred_style character varying(20) NOT NULL DEFAULT 'balanced'::character varying
public.user_preferences.speed_vs_accuracy double precision NOT NULL DEFAULT 0.7
public.user_preferences.tenant_id uuid NOT NULL
public.user_preferences.updated_at timestamp with time zone NOT NULL DEFAULT now()
public.user_preferences.user_id uuid NOT NULL
public.users.auth_user_id uuid
public.users.created_at timestamp with time zone NOT NULL DEFAULT now()
public.users.deactivated_at timestamp with time zone
public.users.email character varying(255)
public.users.external_id character varying(255) NOT NULL
public.users.id uuid NOT NULL DEFAULT gen_random_uuid()
public.users.metadata jsonb NOT NULL DEFAULT '{}'::jsonb
public.users.tenant_id uuid NOT NULL
public.users.updated_at timestamp with time zone NOT NULL DEFAULT now()
public.v_schedule_execution_history.completed_at timestamp with time zone
public.v_schedule_execution_history.duration_ms integer
public.v_schedule_execution_history.error_message text
public.v_schedule_execution_history.model_used character varying(100)
public.v_schedule_execution_history.provider character varying(50)
public.v_schedule_execution_history.query text
public.v_schedule_execution_history.result text
public.v_schedule_execution_history.schedule_id uuid
public.v_schedule_execution_history.schedule_name character varying(255)
public.v_schedule_execution_history.session_id character varying(255)
public.v_schedule_execution_history.started_at timestamp with time zone
public.v_schedule_execution_history.status character varying(50)
public.v_schedule_execution_history.tenant_id uuid
public.v_schedule_execution_history.total_cost_usd numeric(12,6)
public.v_schedule_execution_history.total_tokens integer
public.v_schedule_execution_history.trigger_type character varying(32)
public.v_schedule_execution_history.triggered_at timestamp with time zone
public.v_schedule_execution_history.user_id uuid
public.v_schedule_execution_history.workflow_id character varying(255)

-- constraints
auth.api_keys api_keys_key_hash_key UNIQUE (key_hash)
auth.api_keys api_keys_pkey PRIMARY KEY (id)
auth.api_keys api_keys_rate_limit_per_hour_check CHECK ((rate_limit_per_hour >= 0))
auth.api_keys api_keys_revoked_inactive CHECK (((revoked_at IS NULL) OR (NOT is_active)))
auth.api_keys api_keys_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
auth.api_keys api_keys_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES auth.users(tenant_id, id) ON DELETE CASCADE
auth.audit_logs audit_logs_idempotency_key UNIQUE (tenant_id, idempotency_key, created_at)
auth.audit_logs audit_logs_pkey PRIMARY KEY (id, created_at)
auth.audit_logs audit_logs_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
auth.refresh_tokens refresh_tokens_pkey PRIMARY KEY (id)
auth.refresh_tokens refresh_tokens_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
auth.refresh_tokens refresh_tokens_token_hash_key UNIQUE (token_hash)
auth.refresh_tokens refresh_tokens_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES auth.users(tenant_id, id) ON DELETE CASCADE
auth.tenants tenants_monthly_token_usage_check CHECK ((monthly_token_usage >= 0))
auth.tenants tenants_pkey PRIMARY KEY (id)
auth.tenants tenants_plan_check CHECK (((plan)::text = ANY ((ARRAY['free'::character varying, 'pro'::character varying, 'enterprise'::character varying])::text[])))
auth.tenants tenants_rate_limit_per_hour_check CHECK ((rate_limit_per_hour >= 0))
auth.tenants tenants_slug_key UNIQUE (slug)
auth.tenants tenants_token_limit_check CHECK ((token_limit >= 0))
auth.tenants tenants_workspace_max_size_gb_check CHECK ((workspace_max_size_gb > 0))
auth.tenants tenants_workspace_retention_days_check CHECK ((workspace_retention_days > 0))
auth.users users_email_key UNIQUE (email)
auth.users users_pkey PRIMARY KEY (id)
auth.users users_role_check CHECK (((role)::text = ANY ((ARRAY['owner'::character varying, 'admin'::character varying, 'user'::character varying, 'viewer'::character varying])::text[])))
auth.users users_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
auth.users users_tenant_id_id_key UNIQUE (tenant_id, id)
auth.users users_username_key UNIQUE (username)
public.agent_executions agent_executions_idempotency_key UNIQUE (tenant_id, idempotency_key, created_at)
public.agent_executions agent_executions_pkey PRIMARY KEY (id, created_at)
public.agent_executions agent_executions_state_check CHECK (((state)::text = ANY ((ARRAY['PENDING'::character varying, 'RUNNING'::character varying, 'COMPLETED'::character varying, 'FAILED'::character varying, 'CANCELLED'::character varying, 'TIMEOUT'::character varying])::text[])))
public.agent_executions agent_executions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.audit_logs audit_logs_idempotency_key UNIQUE (tenant_id, idempotency_key, created_at)
public.audit_logs audit_logs_pkey PRIMARY KEY (id, created_at)
public.audit_logs audit_logs_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.decomposition_patterns decomposition_patterns_pkey PRIMARY KEY (id)
public.decomposition_patterns decomposition_patterns_success_rate_check CHECK (((success_rate >= (0)::double precision) AND (success_rate <= (1)::double precision)))
public.decomposition_patterns decomposition_patterns_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.decomposition_patterns decomposition_patterns_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
public.event_logs event_logs_idempotency_key UNIQUE (tenant_id, idempotency_key, created_at)
public.event_logs event_logs_pkey PRIMARY KEY (id, created_at)
public.event_logs event_logs_seq_check CHECK (((seq IS NULL) OR (seq > 0)))
public.event_logs event_logs_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.failure_patterns failure_patterns_pattern_name_key UNIQUE (pattern_name)
public.failure_patterns failure_patterns_pkey PRIMARY KEY (id)
public.failure_patterns failure_patterns_severity_check CHECK (((severity)::text = ANY ((ARRAY['low'::character varying, 'medium'::character varying, 'high'::character varying, 'critical'::character varying])::text[])))
public.learning_cases learning_cases_idempotency_key UNIQUE (tenant_id, idempotency_key)
public.learning_cases learning_cases_input_hash_key UNIQUE (tenant_id, input_hash)
public.learning_cases learning_cases_pkey PRIMARY KEY (id)
public.learning_cases learning_cases_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.learning_cases learning_cases_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
public.memory_collection_versions memory_collection_versions_collection_check CHECK ((collection ~ '^[a-z][a-z0-9_]{0,47}$'::text))
public.memory_collection_versions memory_collection_versions_dimension_check CHECK (((dimension >= 1) AND (dimension <= 65536)))
public.memory_collection_versions memory_collection_versions_physical_name_check CHECK ((physical_name ~ '^[a-z][a-z0-9_]{0,62}$'::text))
public.memory_collection_versions memory_collection_versions_physical_name_key UNIQUE (physical_name)
public.memory_collection_versions memory_collection_versions_pkey PRIMARY KEY (collection, version)
public.memory_collection_versions memory_collection_versions_state_check CHECK ((state = ANY (ARRAY['building'::text, 'active'::text, 'retired'::text])))
public.memory_collection_versions memory_collection_versions_version_check CHECK ((version >= 1))
public.memory_outbox memory_outbox_op_check CHECK ((op = ANY (ARRAY['upsert'::text, 'delete'::text])))
public.memory_outbox memory_outbox_pkey PRIMARY KEY (tenant_id, id)
public.memory_outbox memory_outbox_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.memory_points memory_points_collection_fkey FOREIGN KEY (collection) REFERENCES memory_collection_versions(physical_name) ON DELETE CASCADE
public.memory_points memory_points_payload_check CHECK ((jsonb_typeof(payload) = 'object'::text))
public.memory_points memory_points_pkey PRIMARY KEY (tenant_id, collection, id)
public.memory_points memory_points_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.memory_points memory_points_vector_check CHECK (((octet_length(vector) > 0) AND ((octet_length(vector) % 4) = 0)))
public.prompts prompts_name_version_key UNIQUE (name, version)
public.prompts prompts_pkey PRIMARY KEY (id)
public.prompts prompts_rollout_percentage_check CHECK (((rollout_percentage >= 0) AND (rollout_percentage <= 100)))
public.scheduled_task_executions scheduled_task_executions_pkey PRIMARY KEY (id)
public.scheduled_task_executions scheduled_task_executions_schedule_fkey FOREIGN KEY (tenant_id, schedule_id) REFERENCES scheduled_tasks(tenant_id, id) ON DELETE CASCADE
public.scheduled_task_executions scheduled_task_executions_schedule_id_task_id_key UNIQUE (schedule_id, task_id)
public.scheduled_task_executions scheduled_task_executions_schedule_task_key UNIQUE (tenant_id, schedule_id, task_id)
public.scheduled_task_executions scheduled_task_executions_status_check CHECK (((status)::text = ANY ((ARRAY['PENDING'::character varying, 'RUNNING'::character varying, 'PAUSED'::character varying, 'COMPLETED'::character varying, 'FAILED'::character varying, 'CANCELLED'::character varying, 'TIMEOUT'::character varying])::text[])))
public.scheduled_task_executions scheduled_task_executions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.scheduled_tasks scheduled_tasks_pkey PRIMARY KEY (id)
public.scheduled_tasks scheduled_tasks_status_check CHECK (((status)::text = ANY ((ARRAY['ACTIVE'::character varying, 'PAUSED'::character varying, 'DELETED'::character varying])::text[])))
public.scheduled_tasks scheduled_tasks_temporal_schedule_id_key UNIQUE (tenant_id, temporal_schedule_id)
public.scheduled_tasks scheduled_tasks_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.scheduled_tasks scheduled_tasks_tenant_id_id_key UNIQUE (tenant_id, id)
public.scheduled_tasks scheduled_tasks_timeout_seconds_check CHECK ((timeout_seconds > 0))
public.scheduled_tasks scheduled_tasks_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
public.session_archives session_archives_idempotency_key UNIQUE (tenant_id, idempotency_key)
public.session_archives session_archives_pkey PRIMARY KEY (id)
public.session_archives session_archives_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.session_archives session_archives_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
public.sessions sessions_pkey PRIMARY KEY (id)
public.sessions sessions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.sessions sessions_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
public.shannon_schema_migrations shannon_schema_migrations_pkey PRIMARY KEY (version)
public.strategy_performance strategy_performance_pkey PRIMARY KEY (id)
public.strategy_performance strategy_performance_success_rate_check CHECK (((success_rate >= (0)::double precision) AND (success_rate <= (1)::double precision)))
public.strategy_performance strategy_performance_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.strategy_performance strategy_performance_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
public.strategy_performance strategy_performance_user_strategy_key UNIQUE (tenant_id, user_id, strategy)
public.task_execution_keys task_execution_keys_pkey PRIMARY KEY (tenant_id, workflow_id)
public.task_execution_keys task_execution_keys_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.task_executions task_executions_pkey PRIMARY KEY (id, started_at)
public.task_executions task_executions_schedule_fkey FOREIGN KEY (tenant_id, schedule_id) REFERENCES scheduled_tasks(tenant_id, id) ON DELETE SET NULL (schedule_id)
public.task_executions task_executions_status_check CHECK (((status)::text = ANY ((ARRAY['PENDING'::character varying, 'RUNNING'::character varying, 'PAUSED'::character varying, 'COMPLETED'::character varying, 'FAILED'::character varying, 'CANCELLED'::character varying, 'TIMEOUT'::character varying])::text[])))
public.task_executions task_executions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.task_executions task_executions_trigger_type_check CHECK (((trigger_type)::text = ANY ((ARRAY['api'::character varying, 'schedule'::character varying])::text[])))
public.task_executions task_executions_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE SET NULL (user_id)
public.task_executions task_executions_workflow_id_key UNIQUE (tenant_id, workflow_id, started_at)
public.team_compositions team_compositions_pkey PRIMARY KEY (id)
public.team_compositions team_compositions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.team_compositions team_compositions_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
public.token_usage token_usage_cache_aware_total_tokens_check CHECK ((cache_aware_total_tokens >= 0))
public.token_usage token_usage_cache_creation_tokens_check CHECK ((cache_creation_tokens >= 0))
public.token_usage token_usage_cache_read_tokens_check CHECK ((cache_read_tokens >= 0))
public.token_usage token_usage_completion_tokens_check CHECK ((completion_tokens >= 0))
public.token_usage token_usage_cost_usd_check CHECK ((cost_usd >= (0)::numeric))
public.token_usage token_usage_idempotency_key UNIQUE (tenant_id, idempotency_key, created_at)
public.token_usage token_usage_pkey PRIMARY KEY (id, created_at)
public.token_usage token_usage_prompt_tokens_check CHECK ((prompt_tokens >= 0))
public.token_usage token_usage_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.token_usage token_usage_total_tokens_check CHECK ((total_tokens >= 0))
public.token_usage token_usage_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE SET NULL (user_id)
public.tool_calls tool_calls_pkey PRIMARY KEY (id)
public.tool_calls tool_calls_status_check CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'running'::character varying, 'completed'::character varying, 'failed'::character varying, 'cancelled'::character varying])::text[])))
public.tool_calls tool_calls_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.tool_executions tool_executions_idempotency_key UNIQUE (tenant_id, idempotency_key, created_at)
public.tool_executions tool_executions_pkey PRIMARY KEY (id, created_at)
public.tool_executions tool_executions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.usage_daily_aggregates usage_daily_aggregates_pkey PRIMARY KEY (id)
public.usage_daily_aggregates usage_daily_aggregates_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.usage_daily_aggregates usage_daily_aggregates_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
public.user_preferences user_preferences_expertise_level_check CHECK (((expertise_level)::text = ANY ((ARRAY['beginner'::character varying, 'intermediate'::character varying, 'expert'::character varying])::text[])))
public.user_preferences user_preferences_pkey PRIMARY KEY (id)
public.user_preferences user_preferences_speed_vs_accuracy_check CHECK (((speed_vs_accuracy >= (0)::double precision) AND (speed_vs_accuracy <= (1)::double precision)))
public.user_preferences user_preferences_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.user_preferences user_preferences_user_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
public.user_preferences user_preferences_user_key UNIQUE (tenant_id, user_id)
public.users users_auth_user_fkey FOREIGN KEY (tenant_id, auth_user_id) REFERENCES auth.users(tenant_id, id) ON DELETE SET NULL (auth_user_id)
public.users users_pkey PRIMARY KEY (id)
public.users users_tenant_id_auth_user_id_key UNIQUE (tenant_id, auth_user_id)
public.users users_tenant_id_external_id_key UNIQUE (tenant_id, external_id)
public.users users_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES auth.tenants(id) ON DELETE CASCADE
public.users users_tenant_id_id_key UNIQUE (tenant_id, id)

-- indexes
CREATE INDEX agent_executions_tenant_agent_created_idx ON ONLY public.agent_executions USING btree (tenant_id, agent_id, created_at)
CREATE INDEX agent_executions_tenant_created_idx ON ONLY public.agent_executions USING btree (tenant_id, created_at)
CREATE INDEX agent_executions_tenant_workflow_idx ON ONLY public.agent_executions USING btree (tenant_id, workflow_id)
CREATE INDEX api_keys_key_prefix_idx ON auth.api_keys USING btree (key_prefix)
CREATE INDEX api_keys_tenant_id_user_id_idx ON auth.api_keys USING btree (tenant_id, user_id)
CREATE INDEX decomposition_patterns_tenant_session_idx ON public.decomposition_patterns USING btree (tenant_id, session_id)
CREATE INDEX decomposition_patterns_tenant_updated_idx ON public.decomposition_patterns USING btree (tenant_id, updated_at)
CREATE INDEX decomposition_patterns_tenant_user_idx ON public.decomposition_patterns USING btree (tenant_id, user_id)
CREATE INDEX event_logs_tenant_workflow_timestamp_idx ON ONLY public.event_logs USING btree (tenant_id, workflow_id, "timestamp", seq)
CREATE INDEX learning_cases_tenant_created_idx ON public.learning_cases USING btree (tenant_id, created_at)
CREATE INDEX learning_cases_tenant_user_idx ON public.learning_cases USING btree (tenant_id, user_id)
CREATE INDEX memory_outbox_id ON public.memory_outbox USING btree (id)
CREATE INDEX memory_outbox_pending ON public.memory_outbox USING btree (id) WHERE (delivered_at IS NULL)
CREATE INDEX memory_outbox_xact ON public.memory_outbox USING btree (xact, id)
CREATE INDEX memory_points_collection_key ON public.memory_points USING btree (collection, key)
CREATE INDEX memory_points_lexical ON public.memory_points USING gin (jsonb_to_tsvector('simple'::regconfig, payload, '["string"]'::jsonb))
CREATE INDEX memory_points_tenant_collection_created_idx ON public.memory_points USING btree (tenant_id, collection, created_at)
CREATE INDEX refresh_tokens_expires_idx ON auth.refresh_tokens USING btree (expires_at)
CREATE INDEX refresh_tokens_revoked_idx ON auth.refresh_tokens USING btree (COALESCE(revoked_at, created_at)) WHERE revoked
CREATE INDEX refresh_tokens_tenant_id_user_id_idx ON auth.refresh_tokens USING btree (tenant_id, user_id)
CREATE INDEX scheduled_task_executions_schedule_triggered_idx ON public.scheduled_task_executions USING btree (tenant_id, schedule_id, triggered_at DESC)
CREATE INDEX scheduled_task_executions_tenant_triggered_idx ON public.scheduled_task_executions USING btree (tenant_id, triggered_at)
CREATE INDEX scheduled_tasks_tenant_user_created_idx ON public.scheduled_tasks USING btree (tenant_id, user_id, created_at DESC)
CREATE INDEX session_archives_tenant_session_taken_idx ON public.session_archives USING btree (tenant_id, session_id, snapshot_taken_at DESC)
CREATE INDEX session_archives_tenant_taken_idx ON public.session_archives USING btree (tenant_id, snapshot_taken_at)
CREATE INDEX session_archives_tenant_user_idx ON public.session_archives USING btree (tenant_id, user_id)
CREATE INDEX sessions_tenant_expires_idx ON public.sessions USING btree (tenant_id, expires_at) WHERE (expires_at IS NOT NULL)
CREATE INDEX sessions_tenant_external_id_idx ON public.sessions USING btree (tenant_id, external_id) WHERE ((external_id IS NOT NULL) AND (deleted_at IS NULL))
CREATE INDEX sessions_tenant_live_created_idx ON public.sessions USING btree (tenant_id, created_at DESC, id DESC) WHERE (deleted_at IS NULL)
CREATE INDEX sessions_tenant_user_created_idx ON public.sessions USING btree (tenant_id, user_id, created_at DESC)
CREATE INDEX task_execution_keys_tenant_started_idx ON public.task_execution_keys USING btree (tenant_id, started_at)
CREATE INDEX task_execution_keys_workflow_idx ON public.task_execution_keys USING btree (workflow_id)
CREATE INDEX task_executions_tenant_schedule_idx ON ONLY public.task_executions USING btree (tenant_id, schedule_id) WHERE (schedule_id IS NOT NULL)
CREATE INDEX task_executions_tenant_session_started_idx ON ONLY public.task_executions USING btree (tenant_id, session_id, started_at DESC, id DESC)
CREATE INDEX task_executions_tenant_started_idx ON ONLY public.task_executions USING btree (tenant_id, started_at DESC, id DESC)
CREATE INDEX task_executions_tenant_status_started_idx ON ONLY public.task_executions USING btree (tenant_id, status, started_at DESC, id DESC)
CREATE INDEX task_executions_tenant_user_started_idx ON ONLY public.task_executions USING btree (tenant_id, user_id, started_at DESC, id DESC)
CREATE INDEX team_compositions_tenant_created_idx ON public.team_compositions USING btree (tenant_id, created_at)
CREATE INDEX team_compositions_tenant_session_idx ON public.team_compositions USING btree (tenant_id, session_id)
CREATE INDEX team_compositions_tenant_user_idx ON public.team_compositions USING btree (tenant_id, user_id)
CREATE INDEX token_usage_task_provider_model_idx ON ONLY public.token_usage USING btree (task_id, provider, model) WHERE (task_id IS NOT NULL)
CREATE INDEX token_usage_tenant_user_created_idx ON ONLY public.token_usage USING btree (tenant_id, user_id, created_at)
CREATE INDEX tool_calls_tenant_agent_execution_idx ON public.tool_calls USING btree (tenant_id, agent_execution_id)
CREATE INDEX tool_calls_tenant_created_idx ON public.tool_calls USING btree (tenant_id, created_at)
CREATE INDEX users_tenant_created_idx ON public.users USING btree (tenant_id, created_at DESC, id DESC)
CREATE UNIQUE INDEX agent_executions_idempotency_key ON ONLY public.agent_executions USING btree (tenant_id, idempotency_key, created_at)
CREATE UNIQUE INDEX agent_executions_pkey ON ONLY public.agent_executions USING btree (id, created_at)
CREATE UNIQUE INDEX api_keys_key_hash_key ON auth.api_keys USING btree (key_hash)
CREATE UNIQUE INDEX api_keys_pkey ON auth.api_keys USING btree (id)
CREATE UNIQUE INDEX audit_logs_idempotency_key ON ONLY auth.audit_logs USING btree (tenant_id, idempotency_key, created_at)
CREATE UNIQUE INDEX audit_logs_idempotency_key ON ONLY public.audit_logs USING btree (tenant_id, idempotency_key, created_at)
CREATE UNIQUE INDEX audit_logs_pkey ON ONLY auth.audit_logs USING btree (id, created_at)
CREATE UNIQUE INDEX audit_logs_pkey ON ONLY public.audit_logs USING btree (id, created_at)
CREATE UNIQUE INDEX decomposition_patterns_pkey ON public.decomposition_patterns USING btree (id)
CREATE UNIQUE INDEX event_logs_idempotency_key ON ONLY public.event_logs USING btree (tenant_id, idempotency_key, created_at)
CREATE UNIQUE INDEX event_logs_pkey ON ONLY public.event_logs USING btree (id, created_at)
CREATE UNIQUE INDEX failure_patterns_pattern_name_key ON public.failure_patterns USING btree (pattern_name)
CREATE UNIQUE INDEX failure_patterns_pkey ON public.failure_patterns USING btree (id)
CREATE UNIQUE INDEX learning_cases_idempotency_key ON public.learning_cases USING btree (tenant_id, idempotency_key)
CREATE UNIQUE INDEX learning_cases_input_hash_key ON public.learning_cases USING btree (tenant_id, input_hash)
CREATE UNIQUE INDEX learning_cases_pkey ON public.learning_cases USING btree (id)
CREATE UNIQUE INDEX memory_collection_versions_active ON public.memory_collection_versions USING btree (collection) WHERE (state = 'active'::text)
CREATE UNIQUE INDEX memory_collection_versions_physical_name_key ON public.memory_collection_versions USING btree (physical_name)
CREATE UNIQUE INDEX memory_collection_versions_pkey ON public.memory_collection_versions USING btree (collection, version)
CREATE UNIQUE INDEX memory_outbox_pkey ON public.memory_outbox USING btree (tenant_id, id)
CREATE UNIQUE INDEX memory_points_collection_id_key ON public.memory_points USING btree (collection, id)
CREATE UNIQUE INDEX memory_points_pkey ON public.memory_points USING btree (tenant_id, collection, id)
CREATE UNIQUE INDEX prompts_name_version_key ON public.prompts USING btree (name, version)
CREATE UNIQUE INDEX prompts_pkey ON public.prompts USING btree (id)
CREATE UNIQUE INDEX refresh_tokens_pkey ON auth.refresh_tokens USING btree (id)
CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON auth.refresh_tokens USING btree (token_hash)
CREATE UNIQUE INDEX scheduled_task_executions_pkey ON public.scheduled_task_executions USING btree (id)
CREATE UNIQUE INDEX scheduled_task_executions_schedule_id_task_id_key ON public.scheduled_task_executions USING btree (schedule_id, task_id)
CREATE UNIQUE INDEX scheduled_task_executions_schedule_task_key ON public.scheduled_task_executions USING btree (tenant_id, schedule_id, task_id)
CREATE UNIQUE INDEX scheduled_tasks_pkey ON public.scheduled_tasks USING btree (id)
CREATE UNIQUE INDEX scheduled_tasks_temporal_schedule_id_key ON public.scheduled_tasks USING btree (tenant_id, temporal_schedule_id)
CREATE UNIQUE INDEX scheduled_tasks_tenant_id_id_key ON public.scheduled_tasks USING btree (tenant_id, id)
CREATE UNIQUE INDEX session_archives_idempotency_key ON public.session_archives USING btree (tenant_id, idempotency_key)
CREATE UNIQUE INDEX session_archives_pkey ON public.session_archives USING btree (id)
CREATE UNIQUE INDEX sessions_pkey ON public.sessions USING btree (id)
CREATE UNIQUE INDEX sessions_tenant_user_external_id_key ON public.sessions USING btree (tenant_id, user_id, external_id) NULLS NOT DISTINCT WHERE ((external_id IS NOT NULL) AND (deleted_at IS NULL))
CREATE UNIQUE INDEX shannon_schema_migrations_pkey ON public.shannon_schema_migrations USING btree (version)
CREATE UNIQUE INDEX strategy_performance_pkey ON public.strategy_performance USING btree (id)
CREATE UNIQUE INDEX strategy_performance_user_strategy_key ON public.strategy_performance USING btree (tenant_id, user_id, strategy)
CREATE UNIQUE INDEX task_execution_keys_pkey ON public.task_execution_keys USING btree (tenant_id, workflow_id)
CREATE UNIQUE INDEX task_executions_pkey ON ONLY public.task_executions USING btree (id, started_at)
CREATE UNIQUE INDEX task_executions_workflow_id_key ON ONLY public.task_executions USING btree (tenant_id, workflow_id, started_at)
CREATE UNIQUE INDEX team_compositions_pkey ON public.team_compositions USING btree (id)
CREATE UNIQUE INDEX tenants_pkey ON auth.tenants USING btree (id)
CREATE UNIQUE INDEX tenants_slug_key ON auth.tenants USING btree (slug)
CREATE UNIQUE INDEX token_usage_idempotency_key ON ONLY public.token_usage USING btree (tenant_id, idempotency_key, created_at)
CREATE UNIQUE INDEX token_usage_pkey ON ONLY public.token_usage USING btree (id, created_at)
CREATE UNIQUE INDEX tool_calls_pkey ON public.tool_calls USING btree (id)
CREATE UNIQUE INDEX tool_executions_idempotency_key ON ONLY public.tool_executions USING btree (tenant_id, idempotency_key, created_at)
CREATE UNIQUE INDEX tool_executions_pkey ON ONLY public.tool_executions USING btree (id, created_at)
CREATE UNIQUE INDEX usage_daily_aggregates_pkey ON public.usage_daily_aggregates USING btree (id)
CREATE UNIQUE INDEX usage_daily_aggregates_tenant_user_date_key ON public.usage_daily_aggregates USING btree (tenant_id, user_id, date) NULLS NOT DISTINCT
CREATE UNIQUE INDEX user_preferences_pkey ON public.user_preferences USING btree (id)
CREATE UNIQUE INDEX user_preferences_user_key ON public.user_preferences USING btree (tenant_id, user_id)
CREATE UNIQUE INDEX users_email_key ON auth.users USING btree (email)
CREATE UNIQUE INDEX users_pkey ON auth.users USING btree (id)
CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)
CREATE UNIQUE INDEX users_tenant_id_auth_user_id_key ON public.users USING btree (tenant_id, auth_user_id)
CREATE UNIQUE INDEX users_tenant_id_external_id_key ON public.users USING btree (tenant_id, external_id)
CREATE UNIQUE INDEX users_tenant_id_id_key ON auth.users USING btree (tenant_id, id)
CREATE UNIQUE INDEX users_tenant_id_id_key ON public.users USING btree (tenant_id, id)
CREATE UNIQUE INDEX users_username_key ON auth.users USING btree (username)

-- policies
auth.api_keys shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
auth.api_keys tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
auth.audit_logs shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
auth.audit_logs tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
auth.audit_logs_default shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
auth.audit_logs_default tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
auth.refresh_tokens shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
auth.refresh_tokens tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
auth.users shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
auth.users tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.agent_executions shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.agent_executions tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.agent_executions_default shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.agent_executions_default tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.audit_logs shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.audit_logs tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.audit_logs_default shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.audit_logs_default tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.decomposition_patterns shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.decomposition_patterns tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.event_logs shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.event_logs tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.event_logs_default shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.event_logs_default tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.learning_cases shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.learning_cases tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.memory_outbox shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.memory_outbox tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.memory_points shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.memory_points tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.scheduled_task_executions shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.scheduled_task_executions tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.scheduled_tasks shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.scheduled_tasks tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.session_archives shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.session_archives tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.sessions shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.sessions tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.strategy_performance shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.strategy_performance tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.task_execution_keys shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.task_execution_keys tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.task_executions shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.task_executions tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.task_executions_default shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.task_executions_default tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.team_compositions shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.team_compositions tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.token_usage shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.token_usage tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.token_usage_default shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.token_usage_default tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.tool_calls shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.tool_calls tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.tool_executions shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.tool_executions tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.tool_executions_default shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.tool_executions_default tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.usage_daily_aggregates shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.usage_daily_aggregates tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.user_preferences shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.user_preferences tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))
public.users shannon_system_access ALL TO shannon_system USING (true) WITH CHECK (true)
public.users tenant_isolation ALL TO public USING ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)) WITH CHECK ((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid))

-- functions
CREATE OR REPLACE FUNCTION public.shannon_apply_task_to_daily_aggregate()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  emptied uuid;
  remaining integer;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT') THEN
    -- The row exists: OLD was counted when it became terminal. The two arms find it by
    -- usage_daily_aggregates_tenant_user_date_key with user_id NULL or not; a single
    -- IS NOT DISTINCT FROM (or an OR of both) would leave user_id out of the index condition.
    WITH target AS (
      SELECT t.id FROM public.usage_daily_aggregates t
       WHERE OLD.user_id IS NULL AND t.tenant_id = OLD.tenant_id AND t.user_id IS NULL
         AND t.date = (OLD.started_at AT TIME ZONE 'UTC')::date
      UNION ALL
      SELECT t.id FROM public.usage_daily_aggregates t
       WHERE t.tenant_id = OLD.tenant_id AND t.user_id = OLD.user_id
         AND t.date = (OLD.started_at AT TIME ZONE 'UTC')::date
    )
    UPDATE public.usage_daily_aggregates AS a SET
      total_tasks = a.total_tasks - 1,
      successful_tasks = a.successful_tasks - (OLD.status = 'COMPLETED')::int,
      failed_tasks = a.failed_tasks - (OLD.status IN ('FAILED', 'TIMEOUT'))::int,
      cancelled_tasks = a.cancelled_tasks - (OLD.status = 'CANCELLED')::int,
      total_tokens = a.total_tokens - OLD.total_tokens,
      cache_aware_total_tokens = a.cache_aware_total_tokens - OLD.cache_aware_total_tokens,
      total_cost_usd = a.total_cost_usd - OLD.total_cost_usd,
      tools_invoked = a.tools_invoked - OLD.tools_invoked,
      total_duration_ms = a.total_duration_ms - COALESCE(OLD.duration_ms, 0),
      duration_samples = a.duration_samples - (OLD.duration_ms IS NOT NULL)::int,
      avg_duration_ms = CASE WHEN a.duration_samples - (OLD.duration_ms IS NOT NULL)::int > 0
        THEN ((a.total_duration_ms - COALESCE(OLD.duration_ms, 0))
              / (a.duration_samples - (OLD.duration_ms IS NOT NULL)::int))::int
        END,
      cache_hits = a.cache_hits - OLD.cache_hits,
      updated_at = now()
    FROM target WHERE a.id = target.id
    RETURNING a.id, a.total_tasks INTO emptied, remaining;
    IF remaining = 0 THEN
      DELETE FROM public.usage_daily_aggregates WHERE id = emptied AND total_tasks = 0;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT') THEN
    INSERT INTO public.usage_daily_aggregates AS a (
      tenant_id, user_id, date, total_tasks, successful_tasks, failed_tasks, cancelled_tasks,
      total_tokens, cache_aware_total_tokens, total_cost_usd, tools_invoked,
      total_duration_ms, duration_samples, avg_duration_ms, cache_hits)
    VALUES (
      NEW.tenant_id, NEW.user_id, (NEW.started_at AT TIME ZONE 'UTC')::date, 1,
      (NEW.status = 'COMPLETED')::int, (NEW.status IN ('FAILED', 'TIMEOUT'))::int, (NEW.status = 'CANCELLED')::int,
      NEW.total_tokens, NEW.cache_aware_total_tokens, NEW.total_cost_usd, NEW.tools_invoked,
      COALESCE(NEW.duration_ms, 0), (NEW.duration_ms IS NOT NULL)::int, NEW.duration_ms, NEW.cache_hits)
    ON CONFLICT (tenant_id, user_id, date) DO UPDATE SET
      total_tasks = a.total_tasks + 1,
      successful_tasks = a.successful_tasks + EXCLUDED.successful_tasks,
      failed_tasks = a.failed_tasks + EXCLUDED.failed_tasks,
      cancelled_tasks = a.cancelled_tasks + EXCLUDED.cancelled_tasks,
      total_tokens = a.total_tokens + EXCLUDED.total_tokens,
      cache_aware_total_tokens = a.cache_aware_total_tokens + EXCLUDED.cache_aware_total_tokens,
      total_cost_usd = a.total_cost_usd + EXCLUDED.total_cost_usd,
      tools_invoked = a.tools_invoked + EXCLUDED.tools_invoked,
      total_duration_ms = a.total_duration_ms + EXCLUDED.total_duration_ms,
      duration_samples = a.duration_samples + EXCLUDED.duration_samples,
      avg_duration_ms = CASE WHEN a.duration_samples + EXCLUDED.duration_samples > 0
        THEN ((a.total_duration_ms + EXCLUDED.total_duration_ms) / (a.duration_samples + EXCLUDED.duration_samples))::int
        END,
      cache_hits = a.cache_hits + EXCLUDED.cache_hits,
      updated_at = now();
  END IF;
  RETURN NULL;
END
$function$
CREATE OR REPLACE FUNCTION public.shannon_create_monthly_partitions(parent regclass, months_back integer, months_ahead integer)
 RETURNS SETOF text
 LANGUAGE plpgsql
AS $function$
DECLARE
  parent_schema text;
  parent_name text;
  parent_rls boolean;
  this_month timestamp;
  month_start timestamp;
  part_name text;
  i integer;
BEGIN
  IF months_back IS NULL OR months_ahead IS NULL OR months_back < 0 OR months_ahead < 0
     OR months_back + months_ahead > 600 THEN
    RAISE EXCEPTION 'months_back and months_ahead must be between 0 and 600 in total (got %, %)',
      months_back, months_ahead USING ERRCODE = '22023';
  END IF;
  SELECT n.nspname, c.relname, c.relrowsecurity
    INTO parent_schema, parent_name, parent_rls
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = parent AND c.relkind = 'p';
  IF NOT FOUND THEN
    RAISE EXCEPTION '% is not a partitioned table', parent USING ERRCODE = '42809';
  END IF;
  -- Suffixes are 8 bytes (_pYYYYMM, _default); PostgreSQL silently truncates names past 63 bytes,
  -- which would make two parents' partitions collide, so refuse instead.
  IF octet_length(parent_name) > 55 THEN
    RAISE EXCEPTION 'partitioned table name % is longer than 55 bytes', parent_name USING ERRCODE = '42622';
  END IF;
  part_name := parent_name || '_default';
  IF to_regclass(format('%I.%I', parent_schema, part_name)) IS NULL THEN
    EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s DEFAULT', parent_schema, part_name, parent);
    PERFORM public.shannon_prepare_partition(format('%I.%I', parent_schema, part_name)::regclass, parent_rls,
      format('Default partition of %s; must stay empty (rows here mean a monthly partition is missing).', parent));
    RETURN NEXT part_name;
  END IF;
  -- Month arithmetic on timestamp (not timestamptz) so the session TimeZone cannot shift bounds.
  this_month := date_trunc('month', now() AT TIME ZONE 'UTC');
  FOR i IN -months_back .. months_ahead LOOP
    month_start := this_month + make_interval(months => i);
    part_name := parent_name || '_p' || to_char(month_start, 'YYYYMM');
    IF to_regclass(format('%I.%I', parent_schema, part_name)) IS NULL THEN
      EXECUTE format('CREATE TABLE IF NOT EXISTS %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
        parent_schema, part_name, parent,
        to_char(month_start, 'YYYY-MM-DD') || ' 00:00:00+00',
        to_char(month_start + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
      PERFORM public.shannon_prepare_partition(format('%I.%I', parent_schema, part_name)::regclass, parent_rls,
        format('Monthly partition of %s for %s (UTC).', parent, to_char(month_start, 'YYYY-MM')));
      RETURN NEXT part_name;
    END IF;
  END LOOP;
END
$function$
CREATE OR REPLACE FUNCTION public.shannon_enable_tenant_rls(tbl regclass)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  IF EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = tbl AND polname = 'tenant_isolation') THEN
    EXECUTE format('DROP POLICY tenant_isolation ON %s', tbl);
  END IF;
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s '
    'USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid) '
    'WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)',
    tbl);
  IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = tbl AND polname = 'shannon_system_access') THEN
    EXECUTE format('CREATE POLICY shannon_system_access ON %s TO shannon_system USING (true) WITH CHECK (true)', tbl);
  END IF;
END
$function$
CREATE OR REPLACE FUNCTION public.shannon_legacy_fill()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  row_json jsonb := to_jsonb(NEW);
  patch jsonb := '{}';
  tenant uuid;
  col text;
BEGIN
  IF row_json ? 'tenant_id' AND row_json->'tenant_id' = 'null' THEN
    IF row_json->>'user_id' ~ '^[0-9a-fA-F-]{36}$' THEN
      IF TG_TABLE_SCHEMA = 'auth' THEN
        SELECT u.tenant_id INTO tenant FROM auth.users u WHERE u.id = (row_json->>'user_id')::uuid;
      ELSE
        SELECT u.tenant_id INTO tenant FROM public.users u WHERE u.id = (row_json->>'user_id')::uuid;
      END IF;
    END IF;
    IF tenant IS NULL AND row_json->>'workflow_id' IS NOT NULL THEN
      SELECT k.tenant_id INTO tenant FROM public.task_execution_keys k
       WHERE k.workflow_id = row_json->>'workflow_id' ORDER BY k.started_at LIMIT 1;
    END IF;
    IF tenant IS NULL AND TG_TABLE_NAME IN ('token_usage', 'learning_cases')
       AND row_json->>'task_id' ~ '^[0-9a-fA-F-]{36}$' THEN
      SELECT k.tenant_id INTO tenant FROM public.task_execution_keys k
       WHERE k.task_id = (row_json->>'task_id')::uuid LIMIT 1;
    END IF;
    IF tenant IS NULL AND TG_TABLE_NAME = 'scheduled_task_executions' THEN
      SELECT s.tenant_id INTO tenant FROM public.scheduled_tasks s WHERE s.id = (row_json->>'schedule_id')::uuid;
    END IF;
    tenant := coalesce(tenant, NULLIF(current_setting('shannon.default_tenant_id', true), '')::uuid);
    IF tenant IS NULL THEN
      RAISE EXCEPTION 'null value in column "tenant_id" of relation "%": no user, task or workflow names the tenant and shannon.default_tenant_id is not set', TG_TABLE_NAME
        USING ERRCODE = '23502', HINT = 'Bind the writing role to a tenant: shannon-data adopt legacy-role <role>';
    END IF;
    patch := patch || jsonb_build_object('tenant_id', tenant);
  END IF;
  IF row_json ? 'idempotency_key' AND row_json->'idempotency_key' = 'null' THEN
    patch := patch || jsonb_build_object('idempotency_key', 'legacy:' || (row_json->>'id'));
  END IF;
  FOREACH col IN ARRAY ARRAY['metadata', 'response', 'payload', 'details', 'context', 'snapshot_data',
                             'task_context', 'input_params', 'parameters'] LOOP
    IF row_json ? col AND row_json->col = 'null' THEN
      patch := patch || jsonb_build_object(col, '{}'::jsonb);
    END IF;
  END LOOP;
  IF patch = '{}' THEN
    RETURN NEW;
  END IF;
  RETURN jsonb_populate_record(NEW, patch);
END
$function$
CREATE OR REPLACE FUNCTION public.shannon_prepare_partition(part regclass, with_rls boolean, description text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF with_rls THEN
    PERFORM public.shannon_enable_tenant_rls(part);
  END IF;
  EXECUTE format('COMMENT ON TABLE %s IS %L', part, description);
  EXECUTE format('REVOKE ALL ON %s FROM shannon_app', part);
END
$function$
CREATE OR REPLACE FUNCTION public.shannon_session_external_id()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF NEW.external_id IS NOT NULL THEN
    NEW.context := coalesce(NEW.context, '{}'::jsonb) || jsonb_build_object('external_id', NEW.external_id);
  ELSIF TG_OP = 'INSERT' AND NOT EXISTS (
      SELECT 1 FROM public.sessions s
       WHERE s.tenant_id = NEW.tenant_id AND s.user_id IS NOT DISTINCT FROM NEW.user_id
         AND s.external_id = NEW.context->>'external_id' AND s.deleted_at IS NULL) THEN
    NEW.external_id := NEW.context->>'external_id';
  END IF;
  RETURN NEW;
END
$function$
CREATE OR REPLACE FUNCTION public.shannon_set_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$function$

-- triggers
CREATE TRIGGER agent_executions_set_updated_at BEFORE UPDATE ON public.agent_executions FOR EACH ROW EXECUTE FUNCTION shannon_set_updated_at()
CREATE TRIGGER decomposition_patterns_set_updated_at BEFORE UPDATE ON public.decomposition_patterns FOR EACH ROW EXECUTE FUNCTION shannon_set_updated_at()
CREATE TRIGGER failure_patterns_set_updated_at BEFORE UPDATE ON public.failure_patterns FOR EACH ROW EXECUTE FUNCTION shannon_set_updated_at()
CREATE TRIGGER scheduled_tasks_set_updated_at BEFORE UPDATE ON public.scheduled_tasks FOR EACH ROW EXECUTE FUNCTION shannon_set_updated_at()
CREATE TRIGGER sessions_set_updated_at BEFORE UPDATE ON public.sessions FOR EACH ROW EXECUTE FUNCTION shannon_set_updated_at()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON auth.api_keys FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.metadata IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON auth.audit_logs FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.idempotency_key IS NULL) OR (new.details IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON auth.refresh_tokens FOR EACH ROW WHEN ((new.tenant_id IS NULL)) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON auth.users FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.metadata IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.agent_executions FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.idempotency_key IS NULL) OR (new.metadata IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.audit_logs FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.idempotency_key IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.event_logs FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.idempotency_key IS NULL) OR (new.payload IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.learning_cases FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.idempotency_key IS NULL) OR (new.metadata IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.scheduled_task_executions FOR EACH ROW WHEN ((new.tenant_id IS NULL)) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.scheduled_tasks FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.task_context IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.session_archives FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.idempotency_key IS NULL) OR (new.snapshot_data IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.sessions FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.context IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.task_executions FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.metadata IS NULL) OR (new.response IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.token_usage FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.idempotency_key IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.tool_calls FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.parameters IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.tool_executions FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.idempotency_key IS NULL) OR (new.metadata IS NULL) OR (new.input_params IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON public.users FOR EACH ROW WHEN (((new.tenant_id IS NULL) OR (new.metadata IS NULL))) EXECUTE FUNCTION shannon_legacy_fill()
CREATE TRIGGER shannon_session_sync_external_id BEFORE INSERT OR UPDATE OF external_id, context ON public.sessions FOR EACH ROW WHEN (((new.external_id)::text IS DISTINCT FROM (new.context ->> 'external_id'::text))) EXECUTE FUNCTION shannon_session_external_id()
CREATE TRIGGER strategy_performance_set_updated_at BEFORE UPDATE ON public.strategy_performance FOR EACH ROW EXECUTE FUNCTION shannon_set_updated_at()
CREATE TRIGGER task_executions_aggregate_on_delete AFTER DELETE ON public.task_executions FOR EACH ROW WHEN (((old.status)::text = ANY ((ARRAY['COMPLETED'::character varying, 'FAILED'::character varying, 'CANCELLED'::character varying, 'TIMEOUT'::character varying])::text[]))) EXECUTE FUNCTION shannon_apply_task_to_daily_aggregate()
CREATE TRIGGER task_executions_aggregate_on_insert AFTER INSERT ON public.task_executions FOR EACH ROW WHEN (((new.status)::text = ANY ((ARRAY['COMPLETED'::character varying, 'FAILED'::character varying, 'CANCELLED'::character varying, 'TIMEOUT'::character varying])::text[]))) EXECUTE FUNCTION shannon_apply_task_to_daily_aggregate()
CREATE TRIGGER task_executions_aggregate_on_update AFTER UPDATE ON public.task_executions FOR EACH ROW WHEN (((((old.status)::text = ANY ((ARRAY['COMPLETED'::character varying, 'FAILED'::character varying, 'CANCELLED'::character varying, 'TIMEOUT'::character varying])::text[])) OR ((new.status)::text = ANY ((ARRAY['COMPLETED'::character varying, 'FAILED'::character varying, 'CANCELLED'::character varying, 'TIMEOUT'::character varying])::text[]))) AND (((((((((((old.status)::text IS DISTINCT FROM (new.status)::text) OR (old.tenant_id IS DISTINCT FROM new.tenant_id)) OR (old.user_id IS DISTINCT FROM new.user_id)) OR (old.started_at IS DISTINCT FROM new.started_at)) OR (old.total_tokens IS DISTINCT FROM new.total_tokens)) OR (old.cache_aware_total_tokens IS DISTINCT FROM new.cache_aware_total_tokens)) OR (old.total_cost_usd IS DISTINCT FROM new.total_cost_usd)) OR (old.tools_invoked IS DISTINCT FROM new.tools_invoked)) OR (old.duration_ms IS DISTINCT FROM new.duration_ms)) OR (old.cache_hits IS DISTINCT FROM new.cache_hits)))) EXECUTE FUNCTION shannon_apply_task_to_daily_aggregate()
CREATE TRIGGER task_executions_set_updated_at BEFORE UPDATE ON public.task_executions FOR EACH ROW EXECUTE FUNCTION shannon_set_updated_at()
CREATE TRIGGER tenants_set_updated_at BEFORE UPDATE ON auth.tenants FOR EACH ROW EXECUTE FUNCTION shannon_set_updated_at()
CREATE TRIGGER usage_daily_aggregates_set_updated_at BEFORE UPDATE ON public.usage_daily_aggregates FOR EACH ROW EXECUTE FUNCTION shannon_set_updated_at()
CREATE TRIGGER user_preferences_set_updated_at BEFORE UPDATE ON public.user_preferences FOR EACH ROW EXECUTE FUNCTION shannon_set_updated_at()
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON auth.users FOR EACH ROW EXECUTE FUNCTION shannon_set_updated_at()
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION shannon_set_updated_at()

-- views
public.hypopg_list_indexes AS  SELECT h.indexrelid,
    h.indexname AS index_name,
    n.nspname AS schema_name,
    COALESCE(c.relname, '<dropped>'::name) AS table_name,
    am.amname AS am_name
   FROM (((hypopg() h(indexname, indexrelid, indrelid, innatts, indisunique, indkey, indcollation, indclass, indoption, indexprs, indpred, amid)
     LEFT JOIN pg_class c ON ((c.oid = h.indrelid)))
     LEFT JOIN pg_namespace n ON ((n.oid = c.relnamespace)))
     LEFT JOIN pg_am am ON ((am.oid = h.amid)));
public.pg_stat_statements AS  SELECT pg_stat_statements.userid,
    pg_stat_statements.dbid,
    pg_stat_statements.toplevel,
    pg_stat_statements.queryid,
    pg_stat_statements.query,
    pg_stat_statements.plans,
    pg_stat_statements.total_plan_time,
    pg_stat_statements.min_plan_time,
    pg_stat_statements.max_plan_time,
    pg_stat_statements.mean_plan_time,
    pg_stat_statements.stddev_plan_time,
    pg_stat_statements.calls,
    pg_stat_statements.total_exec_time,
    pg_stat_statements.min_exec_time,
    pg_stat_statements.max_exec_time,
    pg_stat_statements.mean_exec_time,
    pg_stat_statements.stddev_exec_time,
    pg_stat_statements.rows,
    pg_stat_statements.shared_blks_hit,
    pg_stat_statements.shared_blks_read,
    pg_stat_statements.shared_blks_dirtied,
    pg_stat_statements.shared_blks_written,
    pg_stat_statements.local_blks_hit,
    pg_stat_statements.local_blks_read,
    pg_stat_statements.local_blks_dirtied,
    pg_stat_statements.local_blks_written,
    pg_stat_statements.temp_blks_read,
    pg_stat_statements.temp_blks_written,
    pg_stat_statements.blk_read_time,
    pg_stat_statements.blk_write_time,
    pg_stat_statements.temp_blk_read_time,
    pg_stat_statements.temp_blk_write_time,
    pg_stat_statements.wal_records,
    pg_stat_statements.wal_fpi,
    pg_stat_statements.wal_bytes,
    pg_stat_statements.jit_functions,
    pg_stat_statements.jit_generation_time,
    pg_stat_statements.jit_inlining_count,
    pg_stat_statements.jit_inlining_time,
    pg_stat_statements.jit_optimization_count,
    pg_stat_statements.jit_optimization_time,
    pg_stat_statements.jit_emission_count,
    pg_stat_statements.jit_emission_time
   FROM pg_stat_statements(true) pg_stat_statements(userid, dbid, toplevel, queryid, query, plans, total_plan_time, min_plan_time, max_plan_time, mean_plan_time, stddev_plan_time, calls, total_exec_time, min_exec_time, max_exec_time, mean_exec_time, stddev_exec_time, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written, local_blks_hit, local_blks_read, local_blks_dirtied, local_blks_written, temp_blks_read, temp_blks_written, blk_read_time, blk_write_time, temp_blk_read_time, temp_blk_write_time, wal_records, wal_fpi, wal_bytes, jit_functions, jit_generation_time, jit_inlining_count, jit_inlining_time, jit_optimization_count, jit_optimization_time, jit_emission_count, jit_emission_time);
public.pg_stat_statements_info AS  SELECT pg_stat_statements_info.dealloc,
    pg_stat_statements_info.stats_reset
   FROM pg_stat_statements_info() pg_stat_statements_info(dealloc, stats_reset);
public.v_schedule_execution_history AS  SELECT ste.schedule_id,
    st.name AS schedule_name,
    st.user_id,
    st.tenant_id,
    te.workflow_id,
    te.session_id,
    te.query,
    COALESCE(te.status, ste.status) AS status,
    te.result,
    COALESCE(te.error_message, ste.error_message) AS error_message,
    te.total_tokens,
    COALESCE(te.total_cost_usd, ste.total_cost_usd) AS total_cost_usd,
    te.model_used,
    te.provider,
    te.started_at,
    COALESCE(te.completed_at, ste.completed_at) AS completed_at,
    te.duration_ms,
    te.trigger_type,
    ste.triggered_at
   FROM ((scheduled_task_executions ste
     JOIN scheduled_tasks st ON (((st.tenant_id = ste.tenant_id) AND (st.id = ste.schedule_id))))
     LEFT JOIN task_executions te ON (((te.tenant_id = ste.tenant_id) AND ((te.workflow_id)::text = (ste.task_id)::text))));

-- comments
auth.api_keys: API keys stored as digests, found by prefix and compared in constant time.
auth.audit_logs: Authentication audit trail (logins, key use); append-only, monthly partitions.
auth.audit_logs_default: Default partition of auth.audit_logs; must stay empty (rows here mean a monthly partition is missing).
auth.refresh_tokens: Refresh tokens as digests; expired rows are removed by retention.
auth.tenants: Tenants. Not RLS-scoped (a row IS the tenant); the application role may only SELECT it.
auth.users: Accounts that log in (password digests only; no account is seeded).
public.agent_executions: One row per agent run inside a workflow; monthly partitions on created_at.
public.agent_executions_default: Default partition of agent_executions; must stay empty (rows here mean a monthly partition is missing).
public.audit_logs: Application audit trail (who changed what); append-only, monthly partitions.
public.audit_logs_default: Default partition of audit_logs; must stay empty (rows here mean a monthly partition is missing).
public.decomposition_patterns: How past queries were decomposed into subtasks, per session.
public.event_logs: Streaming events of each workflow (append-only); monthly partitions on created_at.
public.event_logs_default: Default partition of event_logs; must stay empty (rows here mean a monthly partition is missing).
public.failure_patterns: Platform-wide catalogue of known failure patterns and mitigations (not tenant-scoped).
public.learning_cases: Case memory for learning from past task outcomes (reward per action).
public.memory_collection_versions: Versions of each vector collection; the active row is the alias target (Qdrant alias mirrors it).
public.memory_outbox: Transactional outbox of vector memory changes; the relay delivers them to the index backend.
public.memory_points: Vector memory points (source of truth): float32 vector, payload, version; indexes are derived from it.
public.prompts: Platform-wide versioned prompt templates (not tenant-scoped).
public.scheduled_task_executions: One row per run triggered by a schedule.
public.scheduled_tasks: Cron-scheduled tasks backed by Temporal schedules; soft-deleted via status DELETED.
public.session_archives: Snapshots of hot session state taken periodically and on expiry.
public.sessions: Conversation sessions; soft-deleted via deleted_at; id or external_id identifies one.
public.strategy_performance: Per user and strategy: run counts and averages.
public.task_execution_keys: One row per (tenant, workflow_id): the task id and started_at fixed at first write, so upserts of the same workflow land on one task_executions row.
public.task_executions: Task (workflow) executions, monthly partitions on started_at; upsert through task_execution_keys (docs/schema.md).
public.task_executions_default: Default partition of task_executions; must stay empty (rows here mean a monthly partition is missing).
public.team_compositions: Agent team line-ups used for a task type and how they performed.
public.token_usage: LLM token and cost ledger, one row per call; monthly partitions on created_at.
public.token_usage_default: Default partition of token_usage; must stay empty (rows here mean a monthly partition is missing).
public.tool_calls: Individual tool invocations of an agent execution (kept for Shannon compatibility).
public.tool_executions: One row per tool call made by an agent; monthly partitions on created_at.
public.tool_executions_default: Default partition of tool_executions; must stay empty (rows here mean a monthly partition is missing).
public.usage_daily_aggregates: Per tenant, user and UTC day: totals of tasks in a terminal status; maintained by trigger deltas.
public.user_preferences: Learned per-user preferences for the supervisor.
public.users: Users of the agent platform as seen by the orchestrator (external string id per tenant).
public.v_schedule_execution_history: Runs of each schedule joined to their task executions (T14).
