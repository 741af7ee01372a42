import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaStatements } from '../telemetry/schema.js';
import { DASHBOARDS } from './dashboards.js';
import { buildDashboard } from './grafana.js';

/**
 * The files of the stack that are derived from code, so they cannot drift from it:
 *
 *   dashboards/grafana/dashboards/<file>.json   from dashboards.ts (Grafana provisions them)
 *   dashboards/clickhouse/initdb/01-schema.sql   from telemetry/schema.ts (the ClickHouse
 *                                                image runs it at first start)
 *
 * `npm run dashboards` writes them; `npm run dashboards -- --check` (and a test) fails when
 * a committed file differs from what the code generates.
 */

/** The project root: this file is dashboards/generate.ts, or dist/dashboards/generate.js. */
export function projectRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${join('dist', 'dashboards')}`) ? join(here, '..', '..') : join(here, '..');
}

export function schemaSql(): string {
  const head = [
    '-- GENERATED from telemetry/schema.ts by `npm run dashboards`: do not edit.',
    '-- The ClickHouse image runs this at first start (/docker-entrypoint-initdb.d); writers',
    '-- also create the schema themselves (IF NOT EXISTS), so either order works.',
  ];
  return `${head.join('\n')}\n\n${schemaStatements().map((s) => `${s};`).join('\n\n')}\n`;
}

export function generatedFiles(root = projectRoot()): Array<{ path: string; text: string }> {
  const files = DASHBOARDS.map((d) => ({ path: join(root, 'dashboards', 'grafana', 'dashboards', d.file), text: `${JSON.stringify(buildDashboard(d), null, 2)}\n` }));
  files.push({ path: join(root, 'dashboards', 'clickhouse', 'initdb', '01-schema.sql'), text: schemaSql() });
  return files;
}

/** Files whose committed text differs from the generated one. */
export function staleFiles(root = projectRoot()): string[] {
  return generatedFiles(root)
    .filter((f) => {
      try {
        return readFileSync(f.path, 'utf8') !== f.text;
      } catch {
        return true;
      }
    })
    .map((f) => f.path);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length) {
      process.stderr.write(`out of date (run npm run dashboards): ${stale.join(', ')}\n`);
      process.exit(1);
    }
    process.stdout.write('dashboards and schema.sql are up to date\n');
  } else {
    for (const f of generatedFiles()) {
      writeFileSync(f.path, f.text);
      process.stdout.write(`wrote ${f.path}\n`);
    }
  }
}
