/**
 * Redis session backend. Each entry is a JSON string whose Redis TTL outlives its logical expiry
 * by a grace period, and a sorted set indexes logical expiry times; the sweeper reads an expired
 * entry (still there thanks to the grace), and whichever process wins the ZREM snapshots it, so
 * several service processes can share one Redis. Every call goes through the Redis guard (deadline
 * and breaker), so a frozen Redis fails a call within the deadline instead of holding it.
 */
import type { RedisGuard } from '../resilience/redis-guard.js';
import { type SessionBackend, type SessionEntry, sessionKey } from './session-entry.js';

export class RedisSessionBackend implements SessionBackend {
  readonly kind = 'redis' as const;
  private readonly prefix: string;
  private readonly expiryIndex: string;

  constructor(
    private readonly redis: RedisGuard,
    /** Extra Redis lifetime beyond logical expiry, so the sweeper can still read the entry. */
    private readonly graceMs: number,
    /** Key namespace (tests and several deployments on one Redis use different ones). */
    namespace = 'shannon',
    private readonly now: () => number = Date.now,
  ) {
    this.prefix = `${namespace}:session:`;
    this.expiryIndex = `${namespace}:session-expiry`;
  }

  async get(tenantId: string, sessionId: string): Promise<SessionEntry | undefined> {
    const key = this.prefix + sessionKey(tenantId, sessionId);
    const raw = await this.redis.run('sessions.get', (client) => client.get(key));
    return raw === null ? undefined : (JSON.parse(raw) as SessionEntry);
  }

  async set(entry: SessionEntry): Promise<SessionEntry[]> {
    const member = sessionKey(entry.tenantId, entry.sessionId);
    const ttlMs = Math.max(1, entry.expiresAt - this.now() + this.graceMs);
    await this.redis.run('sessions.set', (client) =>
      client
        .multi()
        .set(this.prefix + member, JSON.stringify(entry), 'PX', ttlMs)
        .zadd(this.expiryIndex, entry.expiresAt, member)
        .exec(),
    );
    return [];
  }

  async delete(tenantId: string, sessionId: string): Promise<SessionEntry | undefined> {
    const member = sessionKey(tenantId, sessionId);
    const results = await this.redis.run('sessions.delete', (client) =>
      client
        .multi()
        .get(this.prefix + member)
        .del(this.prefix + member)
        .zrem(this.expiryIndex, member)
        .exec(),
    );
    const raw = results?.[0]?.[1];
    return typeof raw === 'string' ? (JSON.parse(raw) as SessionEntry) : undefined;
  }

  async takeExpired(now: number, max: number): Promise<SessionEntry[]> {
    const members = await this.redis.run('sessions.expired', (client) =>
      client.zrangebyscore(this.expiryIndex, 0, now, 'LIMIT', 0, max),
    );
    const out: SessionEntry[] = [];
    for (const member of members) {
      const raw = await this.redis.run('sessions.get', (client) => client.get(this.prefix + member));
      const entry = raw === null ? undefined : (JSON.parse(raw) as SessionEntry);
      // Re-written since the index was read: its new expiry is in the index already.
      if (entry !== undefined && entry.expiresAt > now) continue;
      const won = await this.redis.run('sessions.unindex', (client) => client.zrem(this.expiryIndex, member));
      if (won === 1 && entry !== undefined) {
        await this.redis.run('sessions.delete', (client) => client.del(this.prefix + member));
        out.push(entry);
      }
    }
    return out;
  }

  async size(): Promise<number> {
    return this.redis.run('sessions.size', (client) => client.zcard(this.expiryIndex));
  }

  async close(): Promise<void> {}
}
