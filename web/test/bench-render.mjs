#!/usr/bin/env node
// Benchmark: first full render of the Overview in Debian's Chromium, from navigation start until
// every Overview panel shows its figures (equity, positions, predictions, recent trades), over
// fresh page loads (empty cache each time). Also reports the bundle size (raw and gzip).
//   node test/bench-render.mjs [--dist DIR] [--runs N] [--url LOGIN_URL]
// Without --url it serves the page with the fixture server; with --url (a login URL printed by
// the daemon or `aurum dashboard --url`) it measures against that server.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { requireChromium, launch, opt, startProcess } from './browser-lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(opt('--dist', path.join(here, '..', 'dist')));
const runs = Number(opt('--runs', '15'));
requireChromium();

function bundleSize(dir) {
  let raw = 0, gz = 0, initialRaw = 0, initialGz = 0;
  const files = fs.readdirSync(path.join(dir, 'assets')).map((f) => path.join(dir, 'assets', f)).concat([path.join(dir, 'index.html')]);
  for (const f of files) {
    const b = fs.readFileSync(f);
    const g = zlib.gzipSync(b, { level: 9 }).length;
    raw += b.length; gz += g;
    // lightweight-charts is loaded on demand (trade decision record only)
    if (!/lightweight-charts/.test(f)) { initialRaw += b.length; initialGz += g; }
  }
  return { raw, gz, initialRaw, initialGz };
}

let url = opt('--url');
let child = null;
if (!url) {
  const s = startProcess(process.execPath, [path.join(here, 'fixture-server.mjs'), '--dist', dist], /listening (\S+)/);
  url = (await s.found)[1];
  child = s.child;
}
const browser = await launch();
const times = [];
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC' });
  const login = await ctx.newPage();
  await login.goto(url);
  await login.waitForSelector('[data-testid="mode"]');
  const base = new URL(login.url()).origin;
  await login.close();
  for (let i = 0; i < runs + 1; i++) {
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await page.goto(`${base}/#/overview`, { waitUntil: 'commit' });
    await page.waitForFunction(() => {
      const eq = document.querySelector('[data-testid="equity"]');
      const panels = ['panel-positions', 'panel-predictions', 'panel-recent'].map((id) => document.querySelector(`[data-testid="${id}"] tbody tr`));
      return eq && eq.textContent !== '—' && panels.every(Boolean);
    }, null, { timeout: 10_000, polling: 'raf' });
    const ms = await page.evaluate(() => performance.now());
    if (i > 0) times.push(ms); // the first load warms the server and the browser process
    await page.close();
  }
} finally {
  await browser.close();
  child?.kill('SIGTERM');
}
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
const s = bundleSize(dist);
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`overview first full render over ${times.length} cold loads: median ${q(0.5).toFixed(0)} ms, p90 ${q(0.9).toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms (target <= 1000 ms)`);
console.log(`bundle: initial ${kb(s.initialRaw)} (${kb(s.initialGz)} gzip); total with the on-demand candle chart ${kb(s.raw)} (${kb(s.gz)} gzip)`);
