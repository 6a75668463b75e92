/**
 * Task upserts, two statements in one transaction. The first claims each workflow id in
 * task_execution_keys (fixing the task's id and its partition time at the first write; docs/schema.md);
 * the second upserts task_executions on (tenant_id, workflow_id, started_at) using the claimed values,
 * so every update of a workflow lands on one row of the partitioned table. What an update changes is
 * TASK_CONFLICT_UPDATE, the rule set the task store's single upsert uses too.
 */

import { recordColumns } from '../../schema/tables/table.js';
import { TASK_EXECUTIONS } from '../../schema/tables/task-executions.js';
import { TASK_CONFLICT_UPDATE } from '../../stores/sql/tasks.js';

const SETTABLE = recordColumns(TASK_EXECUTIONS);

/** The columns a task record may set, in parameter order (src/schema/tables/task-executions.ts). */
export const TASK_COLUMNS: readonly string[] = SETTABLE.map(([name]) => name);

/** Array element type of each TASK_COLUMNS parameter. */
export const TASK_TYPES: readonly string[] = SETTABLE.map(([, c]) => c.bindType);

/** Items joined with ", ", wrapped before 100 characters, continuation lines indented by two. */
function wrapped(items: readonly string[]): string {
  const lines = [''];
  for (const item of items) {
    const last = lines.length - 1;
    const next = lines[last] === '' ? item : `${lines[last]}, ${item}`;
    if (next.length > 96 && lines[last] !== '') {
      lines[last] = `${lines[last]},`;
      lines.push(item);
    } else lines[last] = next;
  }
  return lines.join('\n  ');
}

// id and started_at come from the claimed key row, never from the record; a column the record
// leaves out (NULL) takes the column's default, which an explicit NULL would not.
const TARGETS = ['id', 'started_at', 'tenant_id', ...TASK_COLUMNS.filter((c) => c !== 'started_at')];
const VALUES = [
  'k.task_id',
  'k.started_at',
  'r.tenant_id',
  ...SETTABLE.filter(([name]) => name !== 'started_at').map(([name, c]) =>
    c.default?.value === undefined ? `r.${name}` : `COALESCE(r.${name}, ${c.default.sql})`,
  ),
];
const ARRAYS = ['uuid', ...TASK_TYPES].map((type, i) => `$${i + 1}::${type}[]`);

/** $1 tenant ids, $2 workflow ids, $3 started_at (first write wins). */
export const CLAIM_TASK_KEYS = `
INSERT INTO public.task_execution_keys (tenant_id, workflow_id, task_id, started_at)
SELECT r.tenant_id, r.workflow_id, gen_random_uuid(), r.started_at
FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS r(tenant_id, workflow_id, started_at)
ON CONFLICT DO NOTHING`;

/** $1 tenant ids, then one array per TASK_COLUMNS entry ($2 … $29). */
export const UPSERT_TASK_EXECUTIONS = `
INSERT INTO public.task_executions AS t (${wrapped(TARGETS)})
SELECT ${wrapped(VALUES)}
FROM unnest(${wrapped(ARRAYS)})
  AS r(${wrapped(['tenant_id', ...TASK_COLUMNS])})
JOIN public.task_execution_keys k ON k.tenant_id = r.tenant_id AND k.workflow_id = r.workflow_id
${TASK_CONFLICT_UPDATE}`;
