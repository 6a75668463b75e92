/**
 * Collection snapshots over Qdrant's REST API, for `backup create|restore`: a snapshot is made on
 * the server, downloaded, and deleted from the server again (snapshots otherwise pile up on its
 * disk); restore uploads it with its SHA-256, which Qdrant checks before recovering, and with
 * priority `snapshot`, so the snapshot's content wins over whatever the collection holds.
 * Paths and parameters as in the OpenAPI documents of 1.9, 1.15 and 1.19 (the same in all three).
 */
import type { QdrantHttp } from './qdrant-http.js';

/** Snapshots are whole collections: they get far longer than a point operation's deadline. */
export const SNAPSHOT_TIMEOUT_MS = 30 * 60_000;

const c = (name: string) => `/collections/${encodeURIComponent(name)}`;

/** The snapshot of `physical` as bytes. */
export async function snapshotCollection(
  http: QdrantHttp,
  physical: string,
  timeoutMs = SNAPSHOT_TIMEOUT_MS,
): Promise<Buffer> {
  const created = await http.request<{ result: { name: string } }>(
    'POST',
    `${c(physical)}/snapshots?wait=true`,
  );
  const name = encodeURIComponent(created.result.name);
  try {
    return await http.download(`${c(physical)}/snapshots/${name}`, timeoutMs);
  } finally {
    await http.request('DELETE', `${c(physical)}/snapshots/${name}?wait=true`).catch(() => undefined);
  }
}

/** Recovers `physical` from snapshot bytes, Qdrant checking them against `sha256` first. */
export async function recoverCollection(
  http: QdrantHttp,
  physical: string,
  data: Buffer,
  sha256: string,
  timeoutMs = SNAPSHOT_TIMEOUT_MS,
): Promise<void> {
  await http.upload(
    `${c(physical)}/snapshots/upload?wait=true&priority=snapshot&checksum=${sha256}`,
    'snapshot',
    `${physical}.snapshot`,
    data,
    timeoutMs,
  );
}
