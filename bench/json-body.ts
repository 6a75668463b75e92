/**
 * Cost of the body inspection (NUL and nesting checks, src/server/json-body.ts) against the JSON
 * parse it follows, on a flat 4 MB array and on 1,000 records: the inspection should cost a
 * fraction of the parse, never a multiple of it (a field path per element once made it ten times
 * the parse). Usage: npx tsx bench/json-body.ts [--json]
 */
import sjson from 'secure-json-parse';
import { inspectJson } from '../src/server/json-body.js';

const bodies = {
  flatArray4MB: JSON.stringify({ records: Array.from({ length: 2_000_000 }, (_, i) => i % 10) }),
  records1000: JSON.stringify({
    records: Array.from({ length: 1_000 }, (_, i) => ({
      workflow_id: `wf-${i}`,
      type: 'step',
      message: 'x'.repeat(200),
      metadata: { attempt: i, tags: ['a', 'b', 'c'], nested: { deeper: { value: i } } },
    })),
  }),
};

function best(fn: () => void, rounds = 5): number {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r += 1) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

const results = Object.entries(bodies).map(([name, text]) => {
  const parsed = sjson.parse(text);
  const parseMs = best(() =>
    sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' }),
  );
  const inspectMs = best(() => inspectJson(parsed, 32));
  return { body: name, bytes: text.length, parseMs, inspectMs, ratio_inspect_vs_parse: inspectMs / parseMs };
});

if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
else
  for (const r of results)
    console.log(
      `${r.body} (${(r.bytes / 1e6).toFixed(1)} MB): parse ${r.parseMs.toFixed(1)} ms, inspect ${r.inspectMs.toFixed(1)} ms, ratio ${r.ratio_inspect_vs_parse.toFixed(2)}`,
    );
