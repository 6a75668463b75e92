import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseError } from '../../src/errors/errors.js';
import { type Finding, quoteIdent, sortFindings } from '../../src/ops/finding.js';
import { isLockFailure, withLockRetry } from '../../src/ops/lock-retry.js';
import { covers, gaps, monthStart, type PartitionedTable } from '../../src/ops/partition-catalog.js';
import type { QueryResult, Session, SessionSource } from '../../src/postgres/queryable.js';
import { toDatabaseError } from '../../src/postgres/sqlstate.js';

const table = (ranges: [string, string][], withDefault = true): PartitionedTable => ({
  table: 't',
  schema: 'public',
  name: 't',
  keyDefinition: 'RANGE (created_at)',
  keyColumn: 'created_at',
  strategy: 'range',
  timeKey: true,
  partitions: [
    ...(withDefault ? [{ name: 't_default', isDefault: true, from: null, to: null, bound: 'DEFAULT' }] : []),
    ...ranges.map(([from, to]) => ({ name: `t_${from}`, isDefault: false, from, to, bound: '' })),
  ],
});

describe('partition coverage helpers', () => {
  it('monthStart works in UTC across year ends', () => {
    assert.equal(monthStart(new Date('2026-12-31T23:30:00Z'), 1).toISOString(), '2027-01-01T00:00:00.000Z');
    assert.equal(monthStart(new Date('2026-01-15T00:00:00Z'), -2).toISOString(), '2025-11-01T00:00:00.000Z');
  });
  it('covers ignores the default partition and uses half-open ranges', () => {
    const t = table([['2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z']]);
    assert.equal(covers(t, new Date('2026-11-30T23:59:59Z')), true);
    assert.equal(covers(t, new Date('2026-12-01T00:00:00Z')), false);
  });
  it('gaps finds holes between consecutive ranges', () => {
    const t = table([
      ['2026-09-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z'],
      ['2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ]);
    assert.deepEqual(gaps(t), [{ from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' }]);
  });
});

describe('findings', () => {
  it('sorts critical, warning, info, then code and object', () => {
    const f = (code: Finding['code'], severity: Finding['severity'], object: string): Finding => ({
      code,
      severity,
      object,
      evidence: {},
      fix: '',
    });
    const sorted = sortFindings([
      f('INDEX_UNUSED', 'info', 'b'),
      f('INDEX_UNUSED', 'warning', 'b'),
      f('INDEX_DUPLICATE', 'warning', 'z'),
      f('XID_AGE_HIGH', 'critical', 'a'),
    ]);
    assert.deepEqual(
      sorted.map((x) => `${x.severity}:${x.code}:${x.object}`),
      [
        'critical:XID_AGE_HIGH:a',
        'warning:INDEX_DUPLICATE:z',
        'warning:INDEX_UNUSED:b',
        'info:INDEX_UNUSED:b',
      ],
    );
  });
  it('quotes identifiers only when needed', () => {
    assert.equal(quoteIdent('event_logs'), 'event_logs');
    assert.equal(quoteIdent('Mixed"Case'), '"Mixed""Case"');
    assert.equal(quoteIdent('timestamp column'), '"timestamp column"');
  });
});

/** A session source whose session fails the first `failures` bodies with lock_timeout. */
function flakySource(failures: number): {
  source: SessionSource;
  statements: string[];
} {
  const statements: string[] = [];
  let bodies = 0;
  const source: SessionSource = {
    async withSession(fn, options) {
      const session: Session = {
        async query<Row>(text: string): Promise<QueryResult<Row>> {
          statements.push(text);
          if (text === 'SELECT body') {
            bodies++;
            // What a real session throws: the driver's error wrapped with its SQLSTATE.
            if (bodies <= failures)
              throw toDatabaseError(
                Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' }),
                options.operation,
              );
          }
          return { rows: [], rowCount: 0 };
        },
        copyOut: () => Promise.reject(new Error('no COPY here')),
        copyIn: () => Promise.reject(new Error('no COPY here')),
      };
      return fn(session);
    },
  };
  return { source, statements };
}

describe('withLockRetry', () => {
  it('retries lock timeouts with a fresh transaction each time, then succeeds', async () => {
    const { source, statements } = flakySource(2);
    const value = await withLockRetry(
      source,
      'test',
      async (tx) => {
        await tx.query('SELECT body');
        return 42;
      },
      { backoffMs: 1, attempts: 5 },
    );
    assert.equal(value, 42);
    assert.equal(statements.filter((s) => s === 'BEGIN').length, 3);
    assert.equal(statements.filter((s) => s === 'ROLLBACK').length, 2);
    assert.equal(statements.filter((s) => s === 'COMMIT').length, 1);
  });
  it('gives up after the attempts with the lock error', async () => {
    const { source } = flakySource(10);
    await assert.rejects(
      withLockRetry(source, 'test', (tx) => tx.query('SELECT body'), { backoffMs: 1, attempts: 3 }),
      (e: unknown) => isLockFailure(e),
    );
  });
  it('does not retry other failures', async () => {
    let calls = 0;
    const { source } = flakySource(0);
    await assert.rejects(
      withLockRetry(
        source,
        'test',
        async () => {
          calls++;
          throw new DatabaseError('DB_QUERY_FAILED', 'syntax', { sqlstate: '42601' });
        },
        { backoffMs: 1 },
      ),
      { code: 'DB_QUERY_FAILED' },
    );
    assert.equal(calls, 1);
  });
});

describe('statementStatsState', () => {
  it('calls an installed but not preloaded pg_stat_statements unusable instead of failing', async () => {
    const { statementStatsState } = await import('../../src/ops/extensions.js');
    const db = {
      async query(text: string) {
        if (text.includes('FROM pg_extension'))
          return { rows: [{ version: '1.10', schema: 'public' }], rowCount: 1 };
        throw new DatabaseError(
          'DB_QUERY_FAILED',
          'pg_stat_statements must be loaded via shared_preload_libraries',
          {
            sqlstate: '55000',
          },
        );
      },
    };
    const state = await statementStatsState(db as never);
    assert.deepEqual([state.installed, state.usable], [true, false]);
    assert.match(state.reason ?? '', /shared_preload_libraries/);
  });
});
