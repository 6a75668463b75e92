/** Regenerates deploy/grafana/shannon-data.json from src/devtools/grafana/grafana-dashboard.ts. */
import { writeFileSync } from 'node:fs';
import { renderGrafanaDashboard } from '../src/devtools/grafana/grafana-dashboard.js';

writeFileSync(new URL('../deploy/grafana/shannon-data.json', import.meta.url), renderGrafanaDashboard());
process.stdout.write('wrote deploy/grafana/shannon-data.json\n');
