// Copies non-TypeScript assets (SQL migrations, the dashboard's page, scripts and styles) next to the compiled code, so the
// built package finds them at the same relative paths as the sources do.
import { cpSync, existsSync } from 'node:fs';

const assets = [
  ['src/schema/migrations', 'dist/schema/migrations'],
  ['src/server/dashboard', 'dist/server/dashboard'],
];
for (const [from, to] of assets) {
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}
