/**
 * Redis session backend. Each entry is a JSON string whose Redis TTL outlives its logical expiry
 * by a grace period, and a sorted set indexes logical expiry times; the sweeper reads an expired
 * entry (still there thanks to the grace), and whichever process wins the ZREM snapshots it, so
 * several service processes can share one Redis.
 */
import type { Redis } from 'ioredis';
import { type SessionBackend, type SessionEntry, sessionKey } from './session-entry.js';

export class RedisSessionBackend implements SessionBackend {
  readonly kind = 'redis' as const;
  private readonly prefix: string;
  private readonly expiryIndex: string;

  constructor(
    private readonly redis: Redis,
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
    const raw = await this.redis.get(this.prefix + sessionKey(tenantId, sessionId));
    return raw === null ? undefined : (JSON.parse(raw) as SessionEntry);
  }

  async set(entry: SessionEntry): Promise<SessionEntry[]> {
    const member = sessionKey(entry.tenantId, entry.sessionId);
    const ttlMs = Math.max(1, entry.expiresAt - this.now() + this.graceMs);
    await this.redis
      .multi()
      .set(this.prefix + member, JSON.stringify(entry), 'PX', ttlMs)
      .zadd(this.expiryIndex, entry.expiresAt, member)
      .exec();
    return [];
  }

  async delete(tenantId: string, sessionId: string): Promise<SessionEntry | undefined> {
    const member = sessionKey(tenantId, sessionId);
    const results = await this.redis
      .multi()
      .get(this.prefix + member)
      .del(this.prefix + member)
      .zrem(this.expiryIndex, member)
      .exec();
    const raw = results?.[0]?.[1];
    return typeof raw === 'string' ? (JSON.parse(raw) as SessionEntry) : undefined;
  }

  async takeExpired(now: number, max: number): Promise<SessionEntry[]> {
    const members = await this.redis.zrangebyscore(this.expiryIndex, 0, now, 'LIMIT', 0, max);
    const out: SessionEntry[] = [];
    for (const member of members) {
      const raw = await this.redis.get(this.prefix + member);
      const entry = raw === null ? undefined : (JSON.parse(raw) as SessionEntry);
      // Re-written since the index was read: its new expiry is in the index already.
      if (entry !== undefined && entry.expiresAt > now) continue;
      if ((await this.redis.zrem(this.expiryIndex, member)) === 1 && entry !== undefined) {
        await this.redis.del(this.prefix + member);
        out.push(entry);
      }
    }
    return out;
  }

  async size(): Promise<number> {
    return this.redis.zcard(this.expiryIndex);
  }

  async close(): Promise<void> {}
}
