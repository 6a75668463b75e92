/**
 * In-process session backend: a Map kept in least-recently-used order (a read re-inserts the
 * key), bounded by `capacity`; entries pushed out are returned so the cache can snapshot them.
 */
import { type SessionBackend, type SessionEntry, sessionKey } from './session-entry.js';

export class MemorySessionBackend implements SessionBackend {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, SessionEntry>();

  constructor(private readonly capacity: number) {}

  async get(tenantId: string, sessionId: string): Promise<SessionEntry | undefined> {
    const key = sessionKey(tenantId, sessionId);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return structuredClone(entry);
  }

  async set(entry: SessionEntry): Promise<SessionEntry[]> {
    const key = sessionKey(entry.tenantId, entry.sessionId);
    this.entries.delete(key);
    this.entries.set(key, structuredClone(entry));
    const evicted: SessionEntry[] = [];
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      evicted.push(this.entries.get(oldest)!);
      this.entries.delete(oldest);
    }
    return evicted;
  }

  async delete(tenantId: string, sessionId: string): Promise<SessionEntry | undefined> {
    const key = sessionKey(tenantId, sessionId);
    const entry = this.entries.get(key);
    this.entries.delete(key);
    return entry;
  }

  async takeExpired(now: number, max: number): Promise<SessionEntry[]> {
    const out: SessionEntry[] = [];
    for (const [key, entry] of this.entries) {
      if (out.length >= max) break;
      if (entry.expiresAt <= now) {
        out.push(entry);
        this.entries.delete(key);
      }
    }
    return out;
  }

  async size(): Promise<number> {
    return this.entries.size;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
