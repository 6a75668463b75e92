/** Renders the error catalogue as the Markdown page `docs/errors.md` (kept in sync by a test). */
import { ERROR_CODES } from './errors.js';

export function renderErrorDocs(): string {
  const rows = Object.entries(ERROR_CODES)
    .map(([code, { status, description }]) => `| \`${code}\` | ${status} | ${description} |`)
    .join('\n');
  return `<!-- GENERATED from src/errors/errors.ts by scripts/update-error-docs.ts; do not edit (test/unit/errors.test.ts compares it) -->
# Error codes

Every error the library throws, the CLI prints and the HTTP service answers carries one of these
stable codes. HTTP answers have the shape \`{"error": {"code", "message", "field"}}\`; \`field\` names
the offending input field where there is one. This page is generated from \`src/errors/errors.ts\`
by \`npx tsx scripts/update-error-docs.ts\`; a test fails when they disagree.

| code | HTTP status | meaning |
|---|---|---|
${rows}
`;
}
