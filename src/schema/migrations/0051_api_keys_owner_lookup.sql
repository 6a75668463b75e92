-- API-key authentication runs as the owner before the tenant is known. 0050 admitted the owner
-- with a policy `TO CURRENT_USER`, which names whichever role ran the migration (and so made the
-- schema depend on it). Since 0011 every tenant table, auth.api_keys included, admits the owner
-- through shannon_system, so that role-specific policy is redundant.
DROP POLICY IF EXISTS api_keys_authenticate ON auth.api_keys;
