/**
 * A snapshot row read back as the state it was taken of (src/sessions/archived-session.ts): the
 * `userId` the cache folds into `snapshot_data` comes back out when it is a uuid, and stays in the
 * data otherwise (an archive written through the write path may carry any `userId`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { archivedSession, type SnapshotRow } from '../../src/sessions/archived-session.js';

const USER = '7d0c52c5-3f7a-4a44-9d59-0f3e3c2a9b11';
const TAKEN = new Date('2026-12-04T10:00:00.000Z');

function row(overrides: Partial<SnapshotRow>): SnapshotRow {
  return {
    user_id: null,
    snapshot_data: { turn: 3 },
    message_count: 0,
    total_tokens: 0,
    total_cost_usd: '0.000000',
    session_started_at: null,
    snapshot_taken_at: TAKEN,
    ...overrides,
  };
}

test('the user id comes out of the data, from the column or from a uuid left only in the data', () => {
  for (const userId of [USER, null]) {
    const read = archivedSession(
      't',
      's',
      row({
        user_id: userId,
        snapshot_data: { turn: 3, userId: USER },
        message_count: 5,
        total_tokens: 70,
        total_cost_usd: '1.250000',
        session_started_at: new Date('2026-12-01T08:00:00.000Z'),
      }),
    );
    assert.deepEqual(read, {
      source: 'archive',
      tenantId: 't',
      sessionId: 's',
      state: {
        data: { turn: 3 },
        userId: USER,
        messageCount: 5,
        totalTokens: 70,
        totalCostUsd: 1.25,
        startedAt: '2026-12-01T08:00:00.000Z',
      },
      archivedAt: TAKEN.toISOString(),
    });
  }
});

test('a userId that is no uuid stays in the data; no startedAt when none was archived', () => {
  const read = archivedSession('t', 's', row({ snapshot_data: { turn: 1, userId: 'alice' } }));
  assert.deepEqual(read.state, {
    data: { turn: 1, userId: 'alice' },
    messageCount: 0,
    totalTokens: 0,
    totalCostUsd: 0,
  });
});
