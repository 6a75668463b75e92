/**
 * The metric names a PromQL expression reads — enough PromQL for the expressions of our alert
 * rules and Grafana dashboard: strings, label matchers, ranges and label lists are dropped, then
 * every remaining identifier not followed by `(` (a function) and not a keyword is a metric name.
 */
const KEYWORDS: ReadonlySet<string> = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const start = match.index ?? 0;
    const before = stripped[start - 1] ?? ' ';
    const after = stripped.slice(start + word.length).trimStart()[0];
    // Part of a number (1e3) or a Grafana variable ($instance), a function call, or a keyword.
    if (/[0-9.$]/.test(before) || after === '(' || KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}
