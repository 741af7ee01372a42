import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { OVERHEAD_COLUMNS, overheadRows } from './overhead-table.js';
import { MIGRATION_COLUMNS, migrationRows } from './migration-report.js';
import type { ReportData } from './report-data.js';
import { fiveNumbers, median } from './update-lag.js';

/**
 * report.html: one self-contained file (ECharts inlined, data as JSON), readable offline:
 *   - Network-Time: sent KiB/s per node over time, events as shaded regions (the paper's figure)
 *   - Network-Line: average KiB/s per node per run kind over the memory states
 *   - update lag box plots, pull and push (live patches)
 *   - throughput and p99 over time (runs with client load)
 *   - the per-event overhead table (bytes above the run's baseline rate, per channel)
 *   - migration runs: NetMigrate's table (SQL on the store) and client-side / server-side
 *     extra % by write ratio, one line per protocol
 * Every chart is a `div.chart`; the report test checks each has data.
 */
export function renderReport(d: ReportData): string {
  const echarts = readFileSync(createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js'), 'utf8');
  const lags = (method: string) => d.subRuns.flatMap((r) => r.events.filter((e) => e.method === method && e.lagMs !== undefined).map((e) => e.lagMs!));
  const lagSummary = ['pull', 'push'].map((m) => ({ method: m, values: lags(m), box: fiveNumbers(lags(m)), median: median(lags(m)) })).filter((l) => l.box);
  const json = JSON.stringify({ data: d, lagSummary }).replace(/</g, '\\u003c');
  const table = overheadRows(d);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  // A run of migration runs only has no per-event overhead (migration/README.md): its table is the migration one.
  const overheadSection = `<h2>Per-event overhead</h2>
<p>Bytes in the event's window minus the run's baseline rate (its time outside every event, after the warm-up) over the same length, per channel (both directions; client includes the requests).
<em>patch msgs B</em>: bytes of the PATCH and PATCH_REQUEST bus messages in the window, exact.</p>
<table id="overhead"><thead><tr>${OVERHEAD_COLUMNS.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>
${table.map((r) => `<tr class="${r[2] === 'ok' ? '' : 'failed'}">${r.map((c, i) => `<td${i >= 3 ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kvnetlab ${esc(d.scenario)} ${esc(d.runId)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px} h2{font-size:16px;margin-top:28px}
.chart{width:100%;max-width:1100px;height:340px}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ccc;padding:3px 8px} td.n{text-align:right;font-variant-numeric:tabular-nums}
.failed{color:#b00}
</style></head><body>
<h1>kvnetlab scenario <code>${esc(d.scenario)}</code>, run <code>${esc(d.runId)}</code></h1>
<p>${esc(d.description)}</p>
<p>Scenario file ${esc(d.source)}; ${d.subRuns.length} run(s); wall time ${(d.wallMs / 1000).toFixed(1)} s; report made ${esc(d.generatedAt)}.
Bytes are counted by the nodes' proxies, each byte once; the per-node charts show what each node <em>sent</em>. The first part of each run (warm-up) is shaded grey and left out of every average.</p>
${table.length || !d.migration?.length ? overheadSection : ''}
${d.migration?.length ? migrationSection(d, esc) : ''}
${lagSummary.length ? `<p>Update lag medians: ${lagSummary.map((l) => `${l.method} ${l.median!.toFixed(0)} ms (${l.values.length} patches)`).join(', ')}.</p>` : ''}
<div id="charts"></div>
<script>${echarts}</script>
<script>
var REPORT = ${json};
${CLIENT}
</script>
</body></html>
`;
}

function migrationSection(d: ReportData, esc: (s: string) => string): string {
  return `<h2>Live migration: the protocols side by side</h2>
<p>Per protocol and write ratio, one move of the same range under a closed-loop load on its keys (migration/README.md "Table"), computed by SQL from the store's rows:
<em>client-side extra</em> = client bytes during the move beyond the bytes per operation of the load before it;
<em>server-side extra</em> = migration-channel bytes beyond the data itself (key names and DUMP payloads) (both from the proxies' rows; operations and ops/s from the load's ops rows).
<em>downtime</em> = the longest gap without a successful operation during the move, and p50 / p99 of the successful operations: measured by the load itself
(the 100 ms ops rows cannot give them to the millisecond), kept in each <code>migrate</code> event's detail.</p>
<table id="migration"><thead><tr>${MIGRATION_COLUMNS.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>
${migrationRows(d).map((r) => `<tr>${r.map((c, i) => `<td${i >= 1 ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>
<div id="migration-charts"></div>`;
}

/** Runs in the browser: builds the charts from REPORT. */
const CLIENT = String.raw`
(function () {
  var d = REPORT.data, root = document.getElementById('charts');
  function chart(title, id, option, parent) {
    var where = parent || root;
    var h = document.createElement('h2'); h.textContent = title; where.appendChild(h);
    var div = document.createElement('div'); div.className = 'chart'; div.id = id; where.appendChild(div);
    var c = echarts.init(div, null, { renderer: 'canvas' });
    option.animation = false;
    c.setOption(option);
    return c;
  }
  var kib = function (b) { return Math.round(b / 102.4) / 10; };
  d.subRuns.forEach(function (r) {
    var t0 = r.measure_start_ms;
    var areas = [[{ name: 'warm-up', itemStyle: { color: 'rgba(150,150,150,0.15)' }, xAxis: 0 }, { xAxis: (r.warmup_end_ms - t0) / 1000 }]];
    r.events.forEach(function (e) {
      var name = e.method ? e.kind + ' ' + e.method : e.kind;
      areas.push([{ name: name, itemStyle: { color: e.status === 'ok' ? 'rgba(255,160,0,0.18)' : 'rgba(220,0,0,0.15)' }, xAxis: (e.startMs - t0) / 1000 },
                  { xAxis: ((e.endMs || r.measure_end_ms) - t0) / 1000 }]);
    });
    var series = r.perNode.map(function (n, i) {
      var s = { name: n.node, type: 'line', showSymbol: false, data: n.points.filter(function (p) { return p[0] >= t0; }).map(function (p) { return [(p[0] - t0) / 1000, kib(p[1])]; }) };
      if (i === 0) s.markArea = { silent: true, label: { fontSize: 10, position: 'insideTop' }, data: areas };
      return s;
    });
    chart('Network over time per node: ' + r.label, 'network-time-' + r.index, {
      tooltip: { trigger: 'axis' }, legend: { type: 'scroll', top: 0 }, grid: { top: 40, left: 60, right: 20 },
      xAxis: { type: 'value', name: 's', min: 0 }, yAxis: { type: 'value', name: 'KiB/s sent' }, series: series,
    });
  });
  var topologies = Array.from(new Set(d.subRuns.map(function (r) { return r.topology; })));
  topologies.forEach(function (topo) {
    var runs = d.subRuns.filter(function (r) { return r.topology === topo; });
    var mems = Array.from(new Set(runs.map(function (r) { return r.memory_mib; }))).sort(function (a, b) { return a - b; });
    var kinds = Array.from(new Set(runs.map(function (r) { return r.label.split(' ').slice(2).join(' '); })));
    chart('Average traffic per node by run and memory state: ' + topo, 'network-line-' + topo, {
      tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { top: 40, left: 60, right: 20 },
      xAxis: { type: 'category', name: 'MiB', data: mems.map(String) }, yAxis: { type: 'value', name: 'KiB/s per node' },
      series: kinds.map(function (k) {
        return { name: k, type: 'line', data: mems.map(function (m) {
          var r = runs.find(function (x) { return x.memory_mib === m && x.label.split(' ').slice(2).join(' ') === k; });
          return r ? kib(r.perNodeAvgBps) : null;
        }) };
      }),
    });
  });
  if (REPORT.lagSummary.length) {
    chart('Update lag of live patches (last applied - first registered)', 'update-lag', {
      tooltip: {}, grid: { left: 60, right: 20 },
      xAxis: { type: 'category', data: REPORT.lagSummary.map(function (l) { return l.method; }) }, yAxis: { type: 'value', name: 'ms' },
      series: [{ name: 'lag', type: 'boxplot', data: REPORT.lagSummary.map(function (l) { return l.box; }) },
               { name: 'patches', type: 'scatter', symbolSize: 6, data: REPORT.lagSummary.flatMap(function (l) { return l.values.map(function (v) { return [l.method, v]; }); }) }],
    });
  }
  d.subRuns.filter(function (r) { return r.ops.length; }).forEach(function (r) {
    var t0 = r.measure_start_ms;
    chart('Throughput and p99 latency: ' + r.label, 'ops-' + r.index, {
      tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { top: 40, left: 60, right: 60 },
      xAxis: { type: 'value', name: 's', min: 0 }, yAxis: [{ type: 'value', name: 'ops/s' }, { type: 'value', name: 'p99 ms' }],
      series: [
        { name: 'ops/s', type: 'line', showSymbol: false, data: r.ops.map(function (o) { return [(o.t - t0) / 1000, o.ops]; }) },
        { name: 'p99 ms (max of 100 ms buckets)', type: 'line', yAxisIndex: 1, showSymbol: false, data: r.ops.map(function (o) { return [(o.t - t0) / 1000, o.p99_us / 1000]; }) },
      ],
    });
  });
  var mig = d.migration || [];
  if (mig.length) {
    var ratios = Array.from(new Set(mig.map(function (m) { return m.writeRatio; }))).sort(function (a, b) { return a - b; });
    var protocols = Array.from(new Set(mig.map(function (m) { return m.protocol; })));
    var byRatio = function (field) {
      return protocols.map(function (p) {
        return { name: p, type: 'line', data: ratios.map(function (w) {
          var m = mig.find(function (x) { return x.protocol === p && x.writeRatio === w; });
          return m ? Math.round(m[field] * 100) / 100 : null;
        }) };
      });
    };
    var where = document.getElementById('migration-charts');
    [['clientExtraPct', 'migration-client', 'Client-side extra % by write ratio'], ['serverExtraPct', 'migration-server', 'Server-side extra % by write ratio']].forEach(function (c) {
      chart(c[2], c[1], {
        tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { top: 40, left: 60, right: 20 },
        xAxis: { type: 'category', name: 'write %', data: ratios.map(String) }, yAxis: { type: 'value', name: 'extra %' }, series: byRatio(c[0]),
      }, where);
    });
  }
  window.REPORT_READY = true;
})();
`;
