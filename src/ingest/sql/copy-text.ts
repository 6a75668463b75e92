/**
 * Encoding of rows for `COPY … FROM STDIN` in PostgreSQL's text format: one line per row, fields
 * separated by tabs, `\N` for NULL, and backslash, tab, newline and carriage return escaped with a
 * backslash (PostgreSQL docs, "COPY", File Formats → Text Format). Values arrive normalised by the
 * field parsers: strings, finite numbers, booleans, ISO timestamps, serialised JSON.
 */

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One field in COPY text format. */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text = typeof value === 'string' ? value : String(value);
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : text;
}
