import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export interface ChartCheck {
  id: string;
  /** Data points of each series of the chart (getOption().series[i].data.length). */
  seriesLengths: number[];
  /** markArea regions on the chart's series (event regions). */
  markAreas: number;
}

/**
 * Opens a report in Debian's headless Chromium (a fresh profile, no network), waits
 * for its script, takes a full-page screenshot and reads every chart's option back
 * from ECharts. Rejects on a page error.
 */
export async function checkReport(htmlPath: string, screenshotPath: string): Promise<{ charts: ChartCheck[]; overheadRows: number; tableRows: Record<string, number>; errors: string[] }> {
  const profile = mkdtempSync(join(tmpdir(), 'kvnetlab-chromium-'));
  // A fresh --user-data-dir: playwright takes it as launchPersistentContext's directory.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForFunction(() => (window as unknown as { REPORT_READY?: boolean }).REPORT_READY === true, undefined, { timeout: 30_000 });
    await page.screenshot({ path: screenshotPath, fullPage: true });
    const charts = await page.evaluate(() => {
      const ec = (window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series: Array<{ data: unknown[]; markArea?: { data?: unknown[] } }> } } } }).echarts;
      return [...document.querySelectorAll('div.chart')].map((el) => {
        const series = ec.getInstanceByDom(el).getOption().series;
        return { id: el.id, seriesLengths: series.map((s) => s.data.length), markAreas: series.reduce((n, s) => n + (s.markArea?.data?.length ?? 0), 0) };
      });
    });
    const overheadRows = await page.locator('#overhead tbody tr').count();
    // Body rows of every table with an id (#overhead, #migration).
    const tableRows = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('table[id]')].map((t) => [t.id, t.querySelectorAll('tbody tr').length])));
    return { charts, overheadRows, tableRows, errors };
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
