/**
 * The JSON body parser: secure-json-parse (Fastify's own) drops `__proto__` and `constructor`
 * keys, then one walk rejects what PostgreSQL or our code would choke on later — nesting deeper
 * than the limit (stack depth in jsonb and in recursive validators) and NUL characters (text and
 * jsonb cannot hold U+0000) — naming the field.
 */
import sjson from 'secure-json-parse';
import { ShannonError, ValidationError } from '../errors/errors.js';

function path(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** Walks parsed JSON. @throws ValidationError naming the first offending field. */
export function inspectJson(value: unknown, maxDepth: number): void {
  const stack: Array<{ value: unknown; depth: number; field: string }> = [{ value, depth: 0, field: '' }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const v = item.value;
    if (typeof v === 'string') {
      if (v.includes('\u0000'))
        throw new ValidationError(item.field || 'body', 'strings must not contain NUL (\\u0000)');
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (item.depth >= maxDepth) {
      throw new ValidationError(item.field || 'body', `JSON nesting deeper than ${maxDepth} levels`);
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i += 1)
        stack.push({ value: v[i], depth: item.depth + 1, field: path(item.field, i) });
    } else {
      for (const [key, child] of Object.entries(v)) {
        if (key.includes('\u0000'))
          throw new ValidationError(item.field || 'body', 'keys must not contain NUL (\\u0000)');
        stack.push({ value: child, depth: item.depth + 1, field: path(item.field, key) });
      }
    }
  }
}

/** Parses a JSON body text. @throws ShannonError MALFORMED_BODY; ValidationError from `inspectJson`. */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text.length === 0)
    throw new ShannonError('MALFORMED_BODY', 'the JSON body is empty', { field: 'body' });
  let value: unknown;
  try {
    value = sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch {
    throw new ShannonError('MALFORMED_BODY', 'the body is not valid JSON', { field: 'body' });
  }
  inspectJson(value, maxDepth);
  return value;
}
