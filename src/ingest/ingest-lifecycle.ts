/**
 * Where the write path is in its life. One tag instead of a state string beside a flag: "spool
 * everything" exists only as a way of closing, never while open or after closed.
 */
import type { IngestStats } from './ingest-api.js';
import { unreachable } from './unreachable.js';

export type IngestLifecycle =
  /** Accepting records. */
  | { readonly state: 'open' }
  /** close(): no new records; what is queued is flushed as usual within the deadline. */
  | { readonly state: 'draining' }
  /** close() past its deadline: what is still queued goes to the spool, written to PostgreSQL on the next start. */
  | { readonly state: 'spooling' }
  /** abort(): what is queued is refused; batches in flight finish. */
  | { readonly state: 'aborting' }
  | { readonly state: 'closed' };

export const LIFECYCLE = {
  open: { state: 'open' },
  draining: { state: 'draining' },
  spooling: { state: 'spooling' },
  aborting: { state: 'aborting' },
  closed: { state: 'closed' },
} as const satisfies Record<IngestLifecycle['state'], IngestLifecycle>;

/** The state `Ingest.stats()` reports: every way of closing is `closing`. */
export function reportedState(lifecycle: IngestLifecycle): IngestStats['state'] {
  switch (lifecycle.state) {
    case 'open':
      return 'open';
    case 'draining':
    case 'spooling':
    case 'aborting':
      return 'closing';
    case 'closed':
      return 'closed';
    default:
      return unreachable(lifecycle, 'write path state');
  }
}
