/**
 * In-process session backend, bounded in entries and in bytes (an entry's bytes are its serialized
 * state), with a share per tenant, because tenants share one process's memory:
 *
 * 1. A tenant holds at most `tenantShare` of each bound. A write that takes its tenant past its
 *    share pushes out that tenant's own least recently used sessions (reason `tenant_share`).
 * 2. When the whole cache is past a bound, the tenant holding the most of that resource loses its
 *    least recently used session (reason `capacity`), until the cache is within the bound.
 *
 * So one tenant's writes can take at most its share from the others, and a tenant holding less
 * than the writer is never touched. The session just written is never the one pushed out. Entries
 * pushed out are returned so the cache snapshots them: nothing evicted is lost.
 */
import type { SessionBackend, SessionEntry, SessionEviction } from './session-entry.js';

export interface MemorySessionBounds {
  /** Sessions held at most, over all tenants. */
  maxEntries: number;
  /** Serialized state held at most, over all tenants (bytes). */
  maxBytes: number;
  /** Fraction of each bound one tenant may hold, in (0, 1]. */
  tenantShare: number;
}

interface Held {
  entry: SessionEntry;
  bytes: number;
}

/** One tenant's sessions, in least-recently-used order (a read or write re-inserts the key). */
interface TenantSessions {
  bytes: number;
  sessions: Map<string, Held>;
}

export class MemorySessionBackend implements SessionBackend {
  readonly kind = 'memory' as const;
  private readonly tenants = new Map<string, TenantSessions>();
  private entries = 0;
  private totalBytes = 0;
  private readonly tenantMaxEntries: number;
  private readonly tenantMaxBytes: number;

  constructor(private readonly bounds: MemorySessionBounds) {
    this.tenantMaxEntries = Math.max(1, Math.floor(bounds.maxEntries * bounds.tenantShare));
    this.tenantMaxBytes = Math.floor(bounds.maxBytes * bounds.tenantShare);
  }

  async get(tenantId: string, sessionId: string): Promise<SessionEntry | undefined> {
    const tenant = this.tenants.get(tenantId);
    const held = tenant?.sessions.get(sessionId);
    if (tenant === undefined || held === undefined) return undefined;
    tenant.sessions.delete(sessionId);
    tenant.sessions.set(sessionId, held);
    return structuredClone(held.entry);
  }

  async set(entry: SessionEntry, bytes: number): Promise<SessionEviction[]> {
    // Removed first: removing a tenant's last session forgets the tenant.
    this.remove(entry.tenantId, entry.sessionId);
    let tenant = this.tenants.get(entry.tenantId);
    if (tenant === undefined) {
      tenant = { bytes: 0, sessions: new Map() };
      this.tenants.set(entry.tenantId, tenant);
    }
    tenant.sessions.set(entry.sessionId, { entry: structuredClone(entry), bytes });
    tenant.bytes += bytes;
    this.entries += 1;
    this.totalBytes += bytes;

    const evicted: SessionEviction[] = [];
    const written = entry.sessionId;
    while (tenant.bytes > this.tenantMaxBytes || tenant.sessions.size > this.tenantMaxEntries) {
      const out = this.evictOldest(entry.tenantId, written);
      if (out === undefined) break;
      evicted.push({ entry: out, reason: 'tenant_share' });
    }
    while (this.totalBytes > this.bounds.maxBytes) {
      const out = this.evictFromLargest((t) => t.bytes, entry.tenantId, written);
      if (out === undefined) break;
      evicted.push({ entry: out, reason: 'capacity' });
    }
    while (this.entries > this.bounds.maxEntries) {
      const out = this.evictFromLargest((t) => t.sessions.size, entry.tenantId, written);
      if (out === undefined) break;
      evicted.push({ entry: out, reason: 'capacity' });
    }
    return evicted;
  }

  async delete(tenantId: string, sessionId: string): Promise<SessionEntry | undefined> {
    return this.remove(tenantId, sessionId);
  }

  async takeExpired(now: number, max: number): Promise<SessionEntry[]> {
    const out: SessionEntry[] = [];
    for (const [tenantId, tenant] of this.tenants) {
      for (const [sessionId, held] of tenant.sessions) {
        if (out.length >= max) return out;
        if (held.entry.expiresAt <= now) {
          this.remove(tenantId, sessionId);
          out.push(held.entry);
        }
      }
    }
    return out;
  }

  async size(): Promise<number> {
    return this.entries;
  }

  async bytes(): Promise<number> {
    return this.totalBytes;
  }

  /** Serialized state one tenant holds (bytes). */
  tenantBytes(tenantId: string): number {
    return this.tenants.get(tenantId)?.bytes ?? 0;
  }

  async close(): Promise<void> {
    this.tenants.clear();
    this.entries = 0;
    this.totalBytes = 0;
  }

  private remove(tenantId: string, sessionId: string): SessionEntry | undefined {
    const tenant = this.tenants.get(tenantId);
    const held = tenant?.sessions.get(sessionId);
    if (tenant === undefined || held === undefined) return undefined;
    tenant.sessions.delete(sessionId);
    tenant.bytes -= held.bytes;
    this.entries -= 1;
    this.totalBytes -= held.bytes;
    if (tenant.sessions.size === 0) this.tenants.delete(tenantId);
    return held.entry;
  }

  /** Removes the tenant's least recently used session other than `keep` (a session id of that tenant). */
  private evictOldest(tenantId: string, keep: string | undefined): SessionEntry | undefined {
    const tenant = this.tenants.get(tenantId);
    if (tenant === undefined) return undefined;
    for (const sessionId of tenant.sessions.keys()) {
      if (sessionId !== keep) return this.remove(tenantId, sessionId);
    }
    return undefined;
  }

  /**
   * Evicts the least recently used session of the tenant holding the most of `measure`, passing
   * over the session just written.
   */
  private evictFromLargest(
    measure: (t: TenantSessions) => number,
    writerTenant: string,
    written: string,
  ): SessionEntry | undefined {
    let largest: string | undefined;
    let most = -1;
    for (const [tenantId, tenant] of this.tenants) {
      const onlyTheWritten = tenantId === writerTenant && tenant.sessions.size === 1;
      if (onlyTheWritten || measure(tenant) <= most) continue;
      largest = tenantId;
      most = measure(tenant);
    }
    if (largest === undefined) return undefined;
    return this.evictOldest(largest, largest === writerTenant ? written : undefined);
  }
}
