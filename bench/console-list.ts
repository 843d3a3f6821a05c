/**
 * The web console's dashboard with 1,000 rotations, in a real browser (Debian's Chromium via playwright-core):
 * time to an interactive list — from navigation start until all rotations are loaded, the first page of rows
 * (PAGE_ROWS, failed ones first) is in the DOM and the page answers input —
 * next to a baseline measured in the same page and run: the raw API list fetch (request + JSON parse) that the
 * list needs anyway. Also the time a status filter takes to re-render. Prints p50/p95, the ratios, and a last
 * summary line. Never run by the test suite.
 *
 *   npm run bench:console        (ROTATIONS=1000 LOADS=15 by default)
 */
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { ensureDebianPackage } from '../dev/stack/debian-packages.js';
import { ensureConsoleBuilt } from '../scripts/build-web.js';
import { buildApi } from '../src/api/server.js';
import { PAGE_ROWS } from '../web/src/page-size.js';
import { benchTarget, openBenchStack, percentile } from './bench-stack.js';
import { seedRotations } from './seed-rotations.js';

const ROTATIONS = Number(process.env.ROTATIONS ?? 1000);
const LOADS = Number(process.env.LOADS ?? 15);
const WARMUP = 2;
const FAILED_EVERY = 50;

async function main(): Promise<void> {
  const [executablePath] = await Promise.all([ensureDebianPackage('chromium', '/usr/bin/chromium'), ensureConsoleBuilt()]);
  // No worker: the listing reads the control database only.
  const { stack, ctx, close } = await openBenchStack('bench-console', { worker: 'process' });
  const adminToken = randomBytes(32).toString('base64url');
  const app = await buildApi({ ctx, adminToken });
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const { projectId, connection } = await benchTarget({ stack, ctx }, 'bench-console');
    const t0 = performance.now();
    await seedRotations(ctx, { projectId, connection, count: ROTATIONS, failedEvery: FAILED_EVERY });
    const seedMs = performance.now() - t0;

    await app.listen({ port: 0, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Signed in as the console does it: the token in this tab's sessionStorage.
    await context.addInitScript(`sessionStorage.setItem('pg-rotator.token', ${JSON.stringify(adminToken)})`);
    const page = await context.newPage();
    const listUrl = `/api/v2/secret-rotations/postgres-credentials?projectId=${projectId}`;

    const tti: number[] = [];
    const fetchMs: number[] = [];
    const filterMs: number[] = [];
    const render: number[] = [];
    for (let i = 0; i < WARMUP + LOADS; i++) {
      await page.goto(`${origin}/?load=${i}#/?project=${projectId}&environment=dev`);
      // In-page code is passed as text: this file is type-checked for Node, without the DOM's types.
      // Navigation start → all loaded and the first page rendered, then one more frame: the main thread is free to take input.
      const loaded = await page.evaluate<number>(`new Promise((resolve) => {
        const poll = () => {
          const summary = document.querySelector('.summary');
          if (document.querySelectorAll('tr[data-rotation]').length === ${Math.min(PAGE_ROWS, ROTATIONS)} && summary && summary.textContent.includes('of ${ROTATIONS} rotations')) requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0));
          else requestAnimationFrame(poll);
        };
        poll();
      })`);
      // When the page had the list's response: the rest of the time to interactive is rendering.
      const listArrived = await page.evaluate<number>(
        `performance.getEntriesByType('resource').filter((e) => e.name.includes('/postgres-credentials?')).map((e) => e.responseEnd)[0] ?? NaN`,
      );
      // Baseline in the same page: what the list costs before any rendering (fetch + parse).
      const fetched = await page.evaluate<number>(`(async () => {
        const s = performance.now();
        const res = await fetch(${JSON.stringify(listUrl)}, { headers: { authorization: 'Bearer ' + sessionStorage.getItem('pg-rotator.token') }, cache: 'no-store' });
        await res.json();
        return performance.now() - s;
      })()`);
      // Interaction: filter to the failed ones and wait for the table to show exactly them.
      const filtered = await page.evaluate<number>(`new Promise((resolve) => {
        const select = document.getElementById('status');
        const s = performance.now();
        select.value = 'failed';
        select.dispatchEvent(new Event('change', { bubbles: true }));
        const poll = () => {
          if (document.querySelectorAll('tr[data-rotation]').length === ${Math.ceil(ROTATIONS / FAILED_EVERY)}) resolve(performance.now() - s);
          else requestAnimationFrame(poll);
        };
        poll();
      })`);
      if (i >= WARMUP) {
        tti.push(loaded);
        render.push(loaded - listArrived);
        fetchMs.push(fetched);
        filterMs.push(filtered);
      }
    }
    for (const xs of [tti, fetchMs, filterMs, render]) xs.sort((x, y) => x - y);
    const row = (name: string, xs: number[]) =>
      `${name.padEnd(58)} p50 ${percentile(xs, 50).toFixed(0).padStart(6)} ms   p95 ${percentile(xs, 95).toFixed(0).padStart(6)} ms`;
    console.log(`\nsetup: ${ROTATIONS} rotations seeded in ${seedMs.toFixed(0)} ms (every ${FAILED_EVERY}th failed); ${LOADS} page loads after ${WARMUP} warm-up, Chromium ${browser.version()}`);
    console.log(row(`dashboard: navigation start → ${PAGE_ROWS} of ${ROTATIONS} rows, input possible`, tti));
    console.log(row('  of which: list response received → rows rendered', render));
    console.log(row('baseline: the API list fetch + JSON parse, in the page', fetchMs));
    console.log(row('status filter (all → failed), re-rendered', filterMs));
    const ratio = percentile(tti, 50) / percentile(fetchMs, 50);
    console.log(`ratio time-to-interactive / API fetch: p50 ${ratio.toFixed(2)}x   p95 ${(percentile(tti, 95) / percentile(fetchMs, 95)).toFixed(2)}x`);
    console.log(
      `console-list: N=${ROTATIONS} tti_p50_ms=${percentile(tti, 50).toFixed(0)} api_fetch_p50_ms=${percentile(fetchMs, 50).toFixed(0)} ratio=${ratio.toFixed(2)} filter_p50_ms=${percentile(filterMs, 50).toFixed(0)}`,
    );
  } finally {
    await browser.close().catch(() => {});
    await app.close().catch(() => {});
    await close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
