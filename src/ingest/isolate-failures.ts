/**
 * Writes a batch so that one bad record cannot fail the good ones: when PostgreSQL rejects the batch
 * for a reason in the record itself (SQLSTATE class `client`: a check, a foreign key, a bad value),
 * the batch is split in halves and each half retried, down to the single bad record, which is
 * reported with its error. An infrastructure failure stops the work: the records not yet committed
 * come back as `unwritten`, for the spool.
 */
import { isDatabaseError, ShannonError, ValidationError } from '../errors/errors.js';
import {
  classifyError,
  FOREIGN_KEY_VIOLATION,
  NOT_NULL_VIOLATION,
  type SqlStateClass,
  violatedColumn,
} from '../postgres/sqlstate.js';
import type { BatchItem } from './coalesce.js';
import type { RecordKind } from './record-kinds.js';
import type { RecordWriter } from './record-writer.js';

/** Class of a write failure; a closed pool counts as unavailable, not as a bad record. */
export function failureClass(error: unknown): SqlStateClass {
  if (error instanceof ShannonError && error.code === 'SHUTTING_DOWN') return 'transient';
  return classifyError(error);
}

/**
 * The error a caller sees for its one refused record: a foreign key or NOT NULL violation becomes
 * a ValidationError naming the record's column (`user_id` when the user does not exist in the
 * record's tenant), so it answers 400 with that field; anything else is passed on as it is.
 */
export function recordRejection(error: unknown): unknown {
  const column = violatedColumn(error);
  if (column === undefined) return error;
  const sqlstate = isDatabaseError(error) ? error.sqlstate : (error as { code?: unknown }).code;
  if (sqlstate === FOREIGN_KEY_VIOLATION) {
    const driver = (isDatabaseError(error) ? error.cause : error) as { detail?: unknown };
    const table =
      typeof driver.detail === 'string' ? /in table "([^"]+)"/.exec(driver.detail)?.[1] : undefined;
    const scope = column === 'tenant_id' ? '' : " in the record's tenant";
    return new ValidationError(
      column,
      `${column} does not name an existing ${table === undefined ? 'row' : `row of ${table}`}${scope}`,
      { cause: error },
    );
  }
  if (sqlstate === NOT_NULL_VIOLATION) {
    return new ValidationError(column, `${column} is required`, { cause: error });
  }
  return error;
}

export interface IsolatedResult {
  committed: BatchItem[];
  rejected: { item: BatchItem; error: unknown }[];
  /** Records not written because the database failed; empty when the batch was fully handled. */
  unwritten: BatchItem[];
  /** The infrastructure error that stopped the work, when `unwritten` is not empty. */
  error?: unknown;
  /** Statements that failed and were retried as halves. */
  splits: number;
}

/** Writes `items` of `kind`, isolating bad records by bisection. Never throws. */
export async function writeIsolatingFailures(
  writer: RecordWriter,
  kind: RecordKind,
  items: readonly BatchItem[],
): Promise<IsolatedResult> {
  const result: IsolatedResult = { committed: [], rejected: [], unwritten: [], splits: 0 };
  // A stack of slices still to write, in order (the next slice is at the end).
  const stack: BatchItem[][] = [items.slice()];
  while (stack.length > 0) {
    const slice = stack.pop()!;
    try {
      await writer.write(
        kind,
        slice.map((i) => i.record),
      );
      result.committed.push(...slice);
    } catch (error) {
      if (failureClass(error) !== 'client') {
        result.unwritten = [...slice, ...stack.reverse().flat()];
        result.error = error;
        return result;
      }
      if (slice.length === 1) {
        result.rejected.push({ item: slice[0]!, error: recordRejection(error) });
        continue;
      }
      result.splits += 1;
      const middle = Math.ceil(slice.length / 2);
      stack.push(slice.slice(middle), slice.slice(0, middle));
    }
  }
  return result;
}
