/**
 * Evaluates the filter subset on payloads in JavaScript, with Qdrant's semantics: an array-valued
 * field matches when any element matches; `is_empty` holds for a missing field, null or [];
 * `should` holds when at least one condition holds (or when it is empty).
 */
import type { Condition, FieldCondition, Filter } from './filter.js';

/** A point as the evaluator sees it. */
export interface FilterSubject {
  readonly id: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

function valuesAt(payload: Readonly<Record<string, unknown>>, key: string): unknown[] {
  let current: unknown[] = [payload];
  for (const part of key.split('.')) {
    const next: unknown[] = [];
    for (const value of current) {
      if (typeof value !== 'object' || value === null) continue;
      const child = Array.isArray(value)
        ? value.map((v) => (v as Record<string, unknown>)?.[part])
        : [(value as Record<string, unknown>)[part]];
      for (const c of child) if (c !== undefined) next.push(c);
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== null && v !== undefined);
}

function conditionHolds(condition: Condition, subject: FilterSubject): boolean {
  if ('must' in condition || 'should' in condition || 'must_not' in condition) {
    return matchesFilter(condition as Filter, subject);
  }
  if ('is_empty' in condition) return valuesAt(subject.payload, condition.is_empty.key).length === 0;
  if ('has_id' in condition) return condition.has_id.includes(subject.id);
  return fieldHolds(condition as FieldCondition, subject);
}

function fieldHolds(condition: FieldCondition, subject: FilterSubject): boolean {
  const values = valuesAt(subject.payload, condition.key);
  if ('range' in condition) {
    const { gt, gte, lt, lte } = condition.range;
    return values.some(
      (v) =>
        typeof v === 'number' &&
        (gt === undefined || v > gt) &&
        (gte === undefined || v >= gte) &&
        (lt === undefined || v < lt) &&
        (lte === undefined || v <= lte),
    );
  }
  const match = condition.match;
  if ('value' in match) return values.some((v) => v === match.value);
  if ('any' in match) return values.some((v) => (match.any as unknown[]).includes(v));
  return values.some((v) => !(match.except as unknown[]).includes(v));
}

/** True when the subject satisfies the filter. */
export function matchesFilter(filter: Filter, subject: FilterSubject): boolean {
  if (filter.must !== undefined && !filter.must.every((c) => conditionHolds(c, subject))) return false;
  if (filter.must_not?.some((c) => conditionHolds(c, subject))) return false;
  if (filter.should !== undefined && filter.should.length > 0) {
    return filter.should.some((c) => conditionHolds(c, subject));
  }
  return true;
}
