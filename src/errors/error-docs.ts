/** Renders the error catalogue as the Markdown page `docs/errors.md` (kept in sync by a test). */
import { cliExitStatus, ERROR_CODES, type ErrorCode } from './errors.js';

export function renderErrorDocs(): string {
  const rows = Object.entries(ERROR_CODES)
    .map(
      ([code, { status, description }]) =>
        `| \`${code}\` | ${status} | ${cliExitStatus(code as ErrorCode)} | ${description} |`,
    )
    .join('\n');
  return `<!-- GENERATED from src/errors/errors.ts by scripts/update-error-docs.ts; do not edit (test/unit/errors.test.ts compares it) -->
# Error codes

Every error the library throws, the CLI prints and the HTTP service answers carries one of these
stable codes. HTTP answers have the shape \`{"error": {"code", "message", "field"}}\`; \`field\` names
the offending input field where there is one. This page is generated from \`src/errors/errors.ts\`
by \`npx tsx scripts/update-error-docs.ts\`; a test fails when they disagree.

The CLI prints \`error [CODE]: message\` (\`{"error": {...}}\` on stderr with \`--json\`) and exits with
the status of the code's column: 2 when a setting, flag or argument must change, 3 when the command
could not run. Exit 1 is never an error: it means the command ran and reported findings (doctor
warnings, benchmark targets not met, verification differences); 0 means it ran and found nothing.
A connection that cannot be opened is \`DB_UNAVAILABLE\` with the host, port, database and user it
tried (never the password), the setting to check (\`DATABASE_URL\`) and PostgreSQL's SQLSTATE,
DETAIL and HINT when the server sent them.

| code | HTTP status | CLI exit | meaning |
|---|---|---|---|
${rows}
`;
}
