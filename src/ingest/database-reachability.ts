/**
 * The write path's view of PostgreSQL, shared by the batch flusher and the replayer: `failing` from
 * a failed write until the database answers again (a replayed frame, a ping of the replayer).
 * While it fails every new batch goes to the spool at once, as a write would only wait for the
 * failure, and the replayer pings even with an empty spool, to notice the database is back.
 */
export type Reachability = 'answering' | 'failing';

export class DatabaseReachability {
  private current: Reachability = 'answering';

  get state(): Reachability {
    return this.current;
  }

  /** Records the outcome of the latest write, replayed frame or ping. */
  report(answered: boolean): void {
    this.current = answered ? 'answering' : 'failing';
  }
}
