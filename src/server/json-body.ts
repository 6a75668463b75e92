/**
 * The JSON body parser: secure-json-parse (Fastify's own) drops `__proto__` and `constructor`
 * keys, then one walk rejects what PostgreSQL or our code would choke on later — nesting deeper
 * than the limit (stack depth in jsonb and in recursive validators) and NUL characters (text and
 * jsonb cannot hold U+0000) — naming the field.
 */
import sjson from 'secure-json-parse';
import { ShannonError, ValidationError } from '../errors/errors.js';

/** A container on the walk's stack; the field path is built from the chain only on an error. */
interface Frame {
  value: object;
  depth: number;
  parent: Frame | undefined;
  key: string | number;
}

function fieldOf(frame: Frame | undefined, key?: string | number): string {
  const keys: (string | number)[] = key === undefined ? [] : [key];
  for (let f = frame; f?.parent !== undefined; f = f.parent) keys.push(f.key);
  let field = '';
  for (let i = keys.length - 1; i >= 0; i -= 1) {
    const k = keys[i]!;
    field = typeof k === 'number' ? `${field}[${k}]` : field === '' ? k : `${field}.${k}`;
  }
  return field || 'body';
}

/**
 * NUL cannot be stored in text or jsonb; a lone surrogate (`"\\ud800"` unpaired) is not Unicode:
 * text columns would silently store U+FFFD while jsonb refuses it, so both are refused here, alike.
 */
function checkString(value: string, field: string): void {
  if (value.includes('\u0000')) throw new ValidationError(field, 'strings must not contain NUL (\\u0000)');
  if (!value.isWellFormed())
    throw new ValidationError(field, 'strings must be valid Unicode (a lone surrogate is not)');
}

/**
 * Walks parsed JSON. @throws ValidationError naming the first offending field.
 * Field paths are built only when something is wrong: building one per element made a 4 MB flat
 * array cost half a second of event loop, ten times the parse itself.
 */
export function inspectJson(value: unknown, maxDepth: number): void {
  if (typeof value === 'string') {
    checkString(value, 'body');
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const stack: Frame[] = [{ value, depth: 0, parent: undefined, key: '' }];
  const visit = (frame: Frame, key: string | number, child: unknown) => {
    if (typeof child === 'string') {
      if (child.includes('\u0000') || !child.isWellFormed()) checkString(child, fieldOf(frame, key));
    } else if (typeof child === 'object' && child !== null) {
      stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
    }
  };
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth >= maxDepth) {
      throw new ValidationError(fieldOf(frame), `JSON nesting deeper than ${maxDepth} levels`);
    }
    const v = frame.value;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i += 1) visit(frame, i, v[i]);
    } else {
      for (const key of Object.keys(v)) {
        if (key.includes('\u0000') || !key.isWellFormed())
          throw new ValidationError(fieldOf(frame), 'keys must be valid Unicode without NUL (\\u0000)');
        visit(frame, key, (v as Record<string, unknown>)[key]);
      }
    }
  }
}

/**
 * Refuses a JSON body declared in a charset other than UTF-8 (RFC 8259 requires UTF-8): the body
 * is decoded as UTF-8 whatever the header says, so a UTF-16 body would be stored as garbage.
 * @throws ShannonError UNSUPPORTED_MEDIA_TYPE.
 */
export function checkJsonCharset(contentType: string | undefined): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ShannonError('UNSUPPORTED_MEDIA_TYPE', `send the JSON body as UTF-8, not ${charset}`, {
      field: 'content-type',
    });
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
