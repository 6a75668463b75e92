/**
 * Redis session backend. Each entry is a JSON string whose Redis TTL outlives its logical expiry
 * by a grace period, and a sorted set indexes logical expiry times; the sweeper reads an expired
 * entry (still there thanks to the grace), and whichever process wins the ZREM snapshots it, so
 * several service processes can share one Redis. Every call goes through the Redis guard (deadline
 * and breaker), so a frozen Redis fails a call within the deadline instead of holding it.
 *
 * Tenants share one Redis, so each tenant's share is enforced here too: per tenant, a hash of
 * session sizes, a byte counter and a write-ordered index, all updated by the script that writes
 * the entry (one atomic step, whichever process writes). A write that takes its tenant past its
 * share removes that tenant's least recently written sessions and returns them for snapshotting.
 * The whole-cache bound is Redis's own `maxmemory`, which the product cannot see.
 */
import type { RedisGuard } from '../resilience/redis-guard.js';
import { type SessionBackend, type SessionEntry, type SessionEviction, sessionKey } from './session-entry.js';

/** What one tenant may hold in Redis. */
export interface RedisTenantBounds {
  maxEntries: number;
  maxBytes: number;
}

/**
 * KEYS: entry, expiry index, tenant's write index, tenant's sizes, byte counters, write sequence.
 * ARGV: json, ttl ms, expiresAt, member, bytes, tenant id, tenant max bytes, tenant max entries,
 * entry key prefix. Returns the JSON of the entries pushed out.
 */
const SET_SCRIPT = `
local old = tonumber(redis.call('HGET', KEYS[4], ARGV[4]) or '0')
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[6]), ARGV[4])
redis.call('HSET', KEYS[4], ARGV[4], ARGV[5])
local total = redis.call('HINCRBY', KEYS[5], ARGV[6], tonumber(ARGV[5]) - old)
local out = {}
while total > tonumber(ARGV[7]) or redis.call('ZCARD', KEYS[3]) > tonumber(ARGV[8]) do
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 1)
  local victim = oldest[1]
  if victim == ARGV[4] then victim = oldest[2] end
  if not victim then break end
  local size = tonumber(redis.call('HGET', KEYS[4], victim) or '0')
  local raw = redis.call('GET', ARGV[9] .. victim)
  redis.call('DEL', ARGV[9] .. victim)
  redis.call('ZREM', KEYS[2], victim)
  redis.call('ZREM', KEYS[3], victim)
  redis.call('HDEL', KEYS[4], victim)
  total = redis.call('HINCRBY', KEYS[5], ARGV[6], -size)
  if raw then table.insert(out, raw) end
end
return out`;

/**
 * KEYS: entry, expiry index, tenant's write index, tenant's sizes, byte counters.
 * ARGV: member, tenant id. Removes one entry and its accounting; returns its JSON or nil.
 */
const REMOVE_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
local size = tonumber(redis.call('HGET', KEYS[4], ARGV[1]) or '0')
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('HDEL', KEYS[4], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[5], ARGV[2], -size)
end
return raw`;

export class RedisSessionBackend implements SessionBackend {
  readonly kind = 'redis' as const;
  private readonly prefix: string;
  private readonly expiryIndex: string;
  private readonly namespace: string;

  constructor(
    private readonly redis: RedisGuard,
    /** Extra Redis lifetime beyond logical expiry, so the sweeper can still read the entry. */
    private readonly graceMs: number,
    private readonly tenantBounds: RedisTenantBounds,
    /** Key namespace (tests and several deployments on one Redis use different ones). */
    namespace = 'shannon',
    private readonly now: () => number = Date.now,
  ) {
    this.namespace = namespace;
    this.prefix = `${namespace}:session:`;
    this.expiryIndex = `${namespace}:session-expiry`;
  }

  async get(tenantId: string, sessionId: string): Promise<SessionEntry | undefined> {
    const key = this.prefix + sessionKey(tenantId, sessionId);
    const raw = await this.redis.run('sessions.get', (client) => client.get(key));
    return raw === null ? undefined : (JSON.parse(raw) as SessionEntry);
  }

  async set(entry: SessionEntry, bytes: number): Promise<SessionEviction[]> {
    const member = sessionKey(entry.tenantId, entry.sessionId);
    const ttlMs = Math.max(1, entry.expiresAt - this.now() + this.graceMs);
    const pushedOut = (await this.redis.run('sessions.set', (client) =>
      client.eval(
        SET_SCRIPT,
        6,
        this.prefix + member,
        this.expiryIndex,
        ...this.tenantKeys(entry.tenantId),
        `${this.namespace}:session-seq`,
        JSON.stringify(entry),
        ttlMs,
        entry.expiresAt,
        member,
        bytes,
        entry.tenantId,
        this.tenantBounds.maxBytes,
        this.tenantBounds.maxEntries,
        this.prefix,
      ),
    )) as string[];
    return pushedOut.map((raw) => ({ entry: JSON.parse(raw) as SessionEntry, reason: 'tenant_share' }));
  }

  async delete(tenantId: string, sessionId: string): Promise<SessionEntry | undefined> {
    const raw = await this.remove(sessionKey(tenantId, sessionId));
    return raw === null ? undefined : (JSON.parse(raw) as SessionEntry);
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
      if (won === 1) {
        await this.remove(member);
        if (entry !== undefined) out.push(entry);
      }
    }
    return out;
  }

  async size(): Promise<number> {
    return this.redis.run('sessions.size', (client) => client.zcard(this.expiryIndex));
  }

  async bytes(): Promise<number> {
    const counters = await this.redis.run('sessions.bytes', (client) =>
      client.hvals(`${this.namespace}:session-bytes`),
    );
    return counters.reduce((sum, n) => sum + Number(n), 0);
  }

  /** Serialized state one tenant holds (bytes), as the tenant's counter says. */
  async tenantBytes(tenantId: string): Promise<number> {
    const n = await this.redis.run('sessions.bytes', (client) =>
      client.hget(`${this.namespace}:session-bytes`, tenantId),
    );
    return Number(n ?? 0);
  }

  async close(): Promise<void> {}

  /** The tenant's write index and sizes hash, then the byte counters. */
  private tenantKeys(tenantId: string): [string, string, string] {
    return [
      `${this.namespace}:session-lru:${tenantId}`,
      `${this.namespace}:session-size:${tenantId}`,
      `${this.namespace}:session-bytes`,
    ];
  }

  private async remove(member: string): Promise<string | null> {
    // Tenant ids hold no ':' (they are UUIDs), so the member's first part is its tenant.
    const tenantId = member.slice(0, member.indexOf(':'));
    return (await this.redis.run('sessions.delete', (client) =>
      client.eval(
        REMOVE_SCRIPT,
        5,
        this.prefix + member,
        this.expiryIndex,
        ...this.tenantKeys(tenantId),
        member,
        tenantId,
      ),
    )) as string | null;
  }
}
