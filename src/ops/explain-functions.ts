/**
 * The functions an explained statement may call without the operator's say-so. EXPLAIN ANALYZE
 * runs the statement, and a rollback undoes only what is transactional: `pg_terminate_backend`
 * ends another session, `lo_import`/`pg_read_file` read server files, `dblink` connects out,
 * `set_config('role', …)` leaves the restricted role. So only built-in functions without effects
 * outside the statement are admitted: aggregates, window functions, date/time, string, math,
 * array and JSON functions — what the product's own queries call (src/stores/sql) and more of the
 * same kind. Everything else needs `allowFunctions` (`--allow-functions`).
 */

/** Function names (lower case, as the parser reports them) admitted in pg_catalog or unqualified. */
// biome-ignore format: a word list reads better grouped by kind than one name per line
export const EXPLAIN_SAFE_FUNCTIONS: ReadonlySet<string> = new Set([
  // aggregates
  'count', 'sum', 'avg', 'min', 'max', 'array_agg', 'string_agg', 'json_agg', 'jsonb_agg',
  'json_object_agg', 'jsonb_object_agg', 'bool_and', 'bool_or', 'every', 'bit_and', 'bit_or',
  'percentile_cont', 'percentile_disc', 'mode', 'stddev', 'stddev_pop', 'stddev_samp', 'variance',
  'var_pop', 'var_samp', 'corr', 'covar_pop', 'covar_samp', 'regr_slope', 'regr_intercept',
  // window functions
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead',
  'first_value', 'last_value', 'nth_value',
  // date and time (EXTRACT and AT TIME ZONE parse as pg_catalog.extract and pg_catalog.timezone)
  'now', 'date_trunc', 'date_part', 'extract', 'date_bin', 'age', 'timezone', 'to_char', 'to_date',
  'to_timestamp', 'make_date', 'make_time', 'make_timestamp', 'make_timestamptz', 'make_interval',
  'justify_days', 'justify_hours', 'justify_interval', 'isfinite', 'overlaps', 'clock_timestamp',
  'statement_timestamp', 'transaction_timestamp', 'generate_series',
  // strings (SUBSTRING, TRIM, POSITION, OVERLAY parse as pg_catalog calls too)
  'length', 'char_length', 'character_length', 'octet_length', 'bit_length', 'lower', 'upper',
  'initcap', 'substr', 'substring', 'left', 'right', 'btrim', 'ltrim', 'rtrim', 'replace',
  'split_part', 'strpos', 'position', 'overlay', 'concat', 'concat_ws', 'format', 'lpad', 'rpad',
  'reverse', 'starts_with', 'translate', 'ascii', 'chr', 'md5', 'encode', 'decode',
  'to_hex', 'regexp_replace', 'regexp_match', 'regexp_matches', 'regexp_like', 'regexp_count',
  'regexp_split_to_array', 'regexp_split_to_table', 'string_to_array', 'array_to_string',
  'quote_ident', 'quote_literal', 'quote_nullable', 'normalize', 'is_normalized',
  'pg_collation_for', 'to_tsvector', 'to_tsquery', 'plainto_tsquery', 'phraseto_tsquery',
  'websearch_to_tsquery', 'ts_rank', 'ts_rank_cd', 'hashtext', 'hashtextextended',
  // numbers
  'abs', 'ceil', 'ceiling', 'floor', 'round', 'trunc', 'mod', 'div', 'power', 'pow', 'sqrt', 'cbrt',
  'exp', 'ln', 'log', 'log10', 'sign', 'width_bucket', 'random', 'scale', 'num_nulls', 'num_nonnulls',
  // arrays
  'array_length', 'array_lower', 'array_upper', 'array_ndims', 'array_dims', 'cardinality', 'unnest',
  'array_position', 'array_positions', 'array_append', 'array_prepend', 'array_cat', 'array_remove',
  'array_replace',
  // JSON
  'to_json', 'to_jsonb', 'row_to_json', 'array_to_json', 'json_build_object', 'jsonb_build_object',
  'json_build_array', 'jsonb_build_array', 'json_object', 'jsonb_object', 'json_extract_path',
  'jsonb_extract_path', 'json_extract_path_text', 'jsonb_extract_path_text', 'json_array_length',
  'jsonb_array_length', 'json_array_elements', 'jsonb_array_elements', 'json_array_elements_text',
  'jsonb_array_elements_text', 'json_each', 'jsonb_each', 'json_each_text', 'jsonb_each_text',
  'json_object_keys', 'jsonb_object_keys', 'json_typeof', 'jsonb_typeof', 'jsonb_set',
  'jsonb_insert', 'jsonb_strip_nulls', 'json_strip_nulls', 'jsonb_pretty', 'jsonb_path_exists',
  'jsonb_path_match', 'jsonb_path_query', 'jsonb_path_query_array', 'jsonb_path_query_first',
  // identifiers
  'gen_random_uuid',
]);

/**
 * The functions of `called` (as `analyzeStatement` lists them) outside the allow-list: any name
 * qualified with a schema other than pg_catalog, and any name the list does not hold.
 */
export function unsafeFunctions(called: readonly string[]): string[] {
  return [
    ...new Set(
      called.filter((qualified) => {
        const parts = qualified.split('.');
        const name = parts.at(-1)!;
        const schema = parts.length > 1 ? parts.slice(0, -1).join('.') : 'pg_catalog';
        return schema !== 'pg_catalog' || !EXPLAIN_SAFE_FUNCTIONS.has(name);
      }),
    ),
  ];
}
