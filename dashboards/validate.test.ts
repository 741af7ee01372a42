import { describe, expect, it } from 'vitest';
import { DASHBOARDS } from './dashboards.js';
import { buildDashboard } from './grafana.js';
import { referencedVariables, validateDashboard } from './validate.js';

const good = () => buildDashboard(DASHBOARDS[0]!) as Record<string, any>;

describe('dashboard validator', () => {
  it('dashboards: every generated dashboard passes the validator', () => {
    for (const d of DASHBOARDS) expect(validateDashboard(buildDashboard(d)), d.uid).toEqual([]);
  });

  it('dashboards: panel ids are unique across each dashboard and every panel has a datasource, targets and a gridPos', () => {
    for (const d of DASHBOARDS) {
      const json = buildDashboard(d) as { panels: Array<{ id: number; datasource: unknown; targets: unknown[]; gridPos: unknown }> };
      expect(new Set(json.panels.map((p) => p.id)).size).toBe(json.panels.length);
      for (const p of json.panels) {
        expect(p.datasource).toBeTruthy();
        expect(p.targets.length).toBeGreaterThan(0);
        expect(p.gridPos).toBeTruthy();
      }
    }
  });

  it('validator: finds a duplicate panel id, a missing datasource, an undefined variable, a wrong schemaVersion', () => {
    const d = good();
    d.panels[1].id = d.panels[0].id;
    delete d.panels[2].datasource;
    d.panels[3].targets[0].rawSql += ' AND x = ${nope:singlequote}';
    d.schemaVersion = 27;
    const errors = validateDashboard(d).join('\n');
    expect(errors).toMatch(/duplicate id/);
    expect(errors).toMatch(/datasource \{type, uid\}/);
    expect(errors).toMatch(/undefined variable \$nope/);
    expect(errors).toMatch(/schemaVersion must be 39/);
  });

  it('validator: finds overlapping panels, a time series without a time column, an annotation without timeEnd', () => {
    const d = good();
    d.panels[1].gridPos = { ...d.panels[0].gridPos };
    d.panels[0].targets[0].rawSql = 'SELECT 1 AS x';
    const anno = d.annotations.list.find((a: any) => !a.builtIn);
    anno.target.rawSql = anno.target.rawSql.replace('AS timeEnd', 'AS finish');
    const errors = validateDashboard(d).join('\n');
    expect(errors).toMatch(/overlaps/);
    expect(errors).toMatch(/must return a `time` column/);
    expect(errors).toMatch(/must return a timeEnd column/);
  });

  it('validator: a variable may only use variables defined before it', () => {
    const d = good();
    d.templating.list.reverse();
    expect(validateDashboard(d).join('\n')).toMatch(/variable node: uses \$run, not defined before it/);
  });

  it('referencedVariables: reads $x, ${x}, ${x:format} and [[x]], never the $__ builtins', () => {
    expect(referencedVariables("a = ${run:singlequote} AND $__timeFilter(ts) AND b = $node AND [[c]] AND $__from").sort()).toEqual(['c', 'node', 'run']);
  });
});
