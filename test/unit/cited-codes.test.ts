/**
 * Every code a comment under src/ cites — a defect of the original (W14), a design principle (P3), a
 * section of the specification (SPEC §4.3), a query pattern (T5, U2/U3), a section of the inventory
 * or the other notes the project was built from — is defined in docs/codes.md, once. "Defined" means
 * a heading or a list / bold entry that starts with the code, not a mention in passing.
 *
 * Comments are read with the TypeScript parser (.ts) or a quote-aware scan (.sql), so identifiers,
 * strings and SQL in code are not mistaken for citations.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import ts from 'typescript';

const SRC = new URL('../../src/', import.meta.url);
const CODES_PAGE = new URL('../../docs/codes.md', import.meta.url);

interface Comment {
  file: string;
  line: number;
  text: string;
}

function sourceFiles(dir: URL, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return sourceFiles(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`);
    return /\.(ts|sql)$/.test(entry.name) ? [`${prefix}${entry.name}`] : [];
  });
}

function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Every `//` and `/* *\/` comment of a TypeScript file, found by the parser. */
function typescriptComments(file: string, text: string): Comment[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const seen = new Set<number>();
  const comments: Comment[] = [];
  const collect = (ranges: ts.CommentRange[] | undefined) => {
    for (const range of ranges ?? []) {
      if (seen.has(range.pos)) continue;
      seen.add(range.pos);
      comments.push({ file, line: lineAt(text, range.pos), text: text.slice(range.pos, range.end) });
    }
  };
  const visit = (node: ts.Node) => {
    collect(ts.getLeadingCommentRanges(text, node.getFullStart()));
    collect(ts.getTrailingCommentRanges(text, node.getEnd()));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return comments;
}

/** Every `--` and `/* *\/` comment of a SQL file, skipping '…' literals and "…" identifiers. */
function sqlComments(file: string, text: string): Comment[] {
  const comments: Comment[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      i = end === -1 ? text.length : end + 1;
    } else if (text.startsWith('--', i) || text.startsWith('/*', i)) {
      const close = text.startsWith('--', i) ? '\n' : '*/';
      const end = text.indexOf(close, i + 2);
      const stop = end === -1 ? text.length : end + close.length;
      comments.push({ file, line: lineAt(text, i), text: text.slice(i, stop) });
      i = stop;
    } else {
      i++;
    }
  }
  return comments;
}

/** `4.3` and `§2, §6.4` → the section numbers. */
function sections(list: string): string[] {
  return [...list.matchAll(/\d+(?:\.\d+)*/g)].map((m) => m[0]);
}

function expand(letter: string, from: string, to: string | undefined): string[] {
  const first = Number(from);
  const last = to === undefined ? first : Number(to);
  const codes: string[] = [];
  for (let n = first; n <= Math.max(first, last); n++) codes.push(`${letter}${n}`);
  return codes;
}

const SECTION_LIST = String.raw`\d+(?:\.\d+)*(?:\s*(?:,|and)\s*§\s*\d+(?:\.\d+)*)*`;

/** Documents cited by section: the specification (`SPEC §4.3`), the inventory (`inventory §2`, also written `inventory 2.6`), the tool notes (`dbtools.md §3`). */
const SECTION_SOURCES = [
  ['SPEC', new RegExp(String.raw`\bSPEC\s+§\s*(${SECTION_LIST})`, 'g')],
  ['inventory', new RegExp(String.raw`\binventory\s+§?\s*(${SECTION_LIST})`, 'g')],
  ['dbtools', new RegExp(String.raw`\bdbtools(?:\.md)?\s+§\s*(${SECTION_LIST})`, 'g')],
] as const;

/** The codes one comment cites, ranges expanded (`W2–W6`, `S1-S5`), sections normalised (`inventory 1.5` → `inventory §1.5`). */
function citedCodes(comment: string): string[] {
  const codes: string[] = [];
  // Defects W1–W33 and principles P1–P8 (any number, so W40 or P9 is reported as undefined).
  for (const m of comment.matchAll(/\b([WP])(\d{1,2})(?:\s*[–-]\s*\1(\d{1,2}))?\b/g))
    codes.push(...expand(m[1]!, m[2]!, m[3]));
  // Query patterns: S sessions, T tasks, U token usage, E events, A agent executions.
  for (const m of comment.matchAll(/\b([STUEA])(\d{1,2})(?:\s*[–-]\s*\1(\d{1,2}))?\b/g))
    codes.push(...expand(m[1]!, m[2]!, m[3]));
  for (const [prefix, pattern] of SECTION_SOURCES)
    for (const m of comment.matchAll(pattern)) codes.push(...sections(m[1]!).map((s) => `${prefix} §${s}`));
  for (const m of comment.matchAll(/\bperf-anchors\s+(B\d+)\b/g)) codes.push(`perf-anchors ${m[1]}`);
  for (const m of comment.matchAll(/\bCONVENTIONS(?:\.md)?\s+rule\s+(\d+)\b/g))
    codes.push(`CONVENTIONS rule ${m[1]}`);
  return codes;
}

/** A `§` that none of the families above accounts for: a section of some other document. */
function strayCitations(comment: string): string[] {
  const rest = SECTION_SOURCES.reduce((text, [, pattern]) => text.replace(pattern, ''), comment);
  return [...rest.matchAll(/\S*\s*§\s*\d*(?:\.\d+)*/g)].map((m) => m[0]);
}

const CODE = String.raw`(W\d{1,2}|P\d{1,2}|[STUEA]\d{1,2}|(?:SPEC|inventory|dbtools) §\d+(?:\.\d+)*|perf-anchors B\d+|CONVENTIONS rule \d+)(?![\w§]|\.\d)`;

/** The codes a page defines: `## W5 …`, `- **W5 — …**`, `**W5** …`, with how often each is defined. */
function definedCodes(page: string): Map<string, number> {
  const defined = new Map<string, number>();
  const entry = new RegExp(String.raw`^\s*(?:#{1,6}\s+${CODE}|(?:[-*+]\s+)?\*\*${CODE})`);
  for (const line of page.split('\n')) {
    const m = entry.exec(line);
    const code = m?.[1] ?? m?.[2];
    if (code !== undefined) defined.set(code, (defined.get(code) ?? 0) + 1);
  }
  return defined;
}

let srcComments: Comment[] | undefined;

/** The comments of every .ts and .sql file under src/, parsed once. */
function commentsInSrc(): Comment[] {
  srcComments ??= sourceFiles(SRC).flatMap((file) => {
    const text = readFileSync(new URL(file, SRC), 'utf8');
    return file.endsWith('.sql') ? sqlComments(file, text) : typescriptComments(file, text);
  });
  return srcComments;
}

/** Each code cited under src/, with the first comment citing it. */
function citationsInSrc(): Map<string, Comment> {
  const cited = new Map<string, Comment>();
  for (const comment of commentsInSrc())
    for (const code of citedCodes(comment.text)) if (!cited.has(code)) cited.set(code, comment);
  return cited;
}

test('the citation patterns find codes and leave identifiers, SQL and hex alone', () => {
  assert.deepEqual(citedCodes('// S1-S3 (W2–W4, SPEC P3); U2/U3, U4-user; SPEC §3 "Write flow"'), [
    'W2',
    'W3',
    'W4',
    'P3',
    'S1',
    'S2',
    'S3',
    'U2',
    'U3',
    'U4',
    'SPEC §3',
  ]);
  assert.deepEqual(citedCodes('/* inventory §2, §6.4; inventory 1.5; reference/dbtools.md §3 */'), [
    'inventory §2',
    'inventory §6.4',
    'inventory §1.5',
    'dbtools §3',
  ]);
  assert.deepEqual(citedCodes('// perf-anchors B5, CONVENTIONS rule 10'), [
    'perf-anchors B5',
    'CONVENTIONS rule 10',
  ]);
  assert.deepEqual(
    citedCodes('// 2026-01-01T00:00:00Z, 0xE1, SQLSTATE 23505 / P0001, W3C, L2-normalised, F32'),
    [],
  );
  assert.deepEqual(
    sqlComments('x.sql', 'SELECT \'T5 -- W9\' AS a; -- W5 here\n/* E1 */ SELECT "W7--"').map((c) => c.text),
    ['-- W5 here\n', '/* E1 */'],
  );
  assert.deepEqual(
    typescriptComments(
      'x.ts',
      "const a = 'W9 // T5'; // W5\nconst r = /\\/\\/ W7/; /** S1 */ const b = `P3`;",
    ).map((c) => c.text),
    ['// W5', '/** S1 */'],
  );
  assert.deepEqual(strayCitations('see SPEC §4.3 and inventory §2, §6.4'), []);
  assert.deepEqual(strayCitations('see other.md §3'), ['other.md §3']);
});

test('docs/codes.md defines each code once, and every defect and principle', () => {
  const defined = definedCodes(readFileSync(CODES_PAGE, 'utf8'));
  const twice = [...defined].filter(([, count]) => count > 1).map(([code]) => code);
  assert.deepEqual(twice, [], 'codes defined more than once in docs/codes.md');
  const expected = [...expand('W', '1', '33'), ...expand('P', '1', '8')];
  assert.deepEqual(
    expected.filter((code) => !defined.has(code)),
    [],
    'defects and principles missing from docs/codes.md',
  );
});

test('every code cited in a comment under src/ is defined in docs/codes.md', () => {
  const cited = citationsInSrc();
  // The scan must see the citations that exist, or an empty scan would pass.
  for (const code of ['W5', 'P3', 'SPEC §4.3', 'T5', 'inventory §2'])
    assert.ok(cited.has(code), `found ${code}`);
  const defined = definedCodes(readFileSync(CODES_PAGE, 'utf8'));
  const undefinedCodes = [...cited]
    .filter(([code]) => !defined.has(code))
    .map(([code, at]) => `${code} (src/${at.file}:${at.line})`);
  assert.deepEqual(undefinedCodes, [], 'codes cited under src/ but not defined in docs/codes.md');
});

test('no comment under src/ cites a section (§) of a document docs/codes.md does not cover', () => {
  const stray = commentsInSrc().flatMap((comment) =>
    strayCitations(comment.text).map((citation) => `${citation} (src/${comment.file}:${comment.line})`),
  );
  assert.deepEqual(stray, []);
});
