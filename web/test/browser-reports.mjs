#!/usr/bin/env node
// The reports a trader opens in a browser: a paper replay of the real BTC/USDT and ETH/USDT 4h
// candles of ../shared/data (skipped, exit 77, when they or Chromium are absent), then `aurum
// report daily|weekly|volatility|costs|data-quality`; each HTML file is opened from disk in
// Debian's Chromium and screenshotted. Each must load nothing from anywhere (no request but the
// file itself and inline data), raise no page error, draw its charts, and show the figures that
// `aurum --json report ...` computed.
//   node test/browser-reports.mjs --aurum build/release/bin/aurum --data ../shared/data [--shots DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Checker, realDataTest, launch, shot } from './browser-lib.mjs';

const { aurum: AURUM, csv: CSV, shots } = realDataTest();

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'aurum-reports-'));
const aurum = (...args) => execFileSync(AURUM, ['--home', home, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const report = (kind) => JSON.parse(aurum('--json', 'report', kind));
const signed = (v) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}%`;

const c = new Checker();
const browser = await launch();
try {
  for (const s of ['BTC', 'ETH']) aurum('-q', 'data', 'import', '--symbol', `${s}/USDT`, '--timeframe', '4h', CSV(s));
  aurum('-q', 'run', '--mode', 'paper', '--symbols', 'BTC/USDT,ETH/USDT', '--timeframe', '4h',
    '--replay-from', '2023-02-01', '--replay-to', '2023-04-01', '--speed', '0');
  const daily = report('daily');
  const weekly = report('weekly');
  const vol = report('volatility');
  const costs = report('costs');
  const dq = report('data-quality');
  // What each page must show, from the JSON of the same run.
  const expect = [
    ['daily', daily.files[0], [`Daily Report ${daily.date}`, `Sharpe: ${daily.performance.sharpe.toFixed(2)}`,
      ...daily.summary.positions.map((p) => p.symbol)]],
    ['weekly', weekly.files[0], ['Regime detection', ...weekly.performance.benchmarks.map((b) => signed(b.return_pct)),
      ...weekly.regimes.map((g) => g.symbol)]],
    ['volatility', vol.files[0], vol.symbols.flatMap((s) => [s.symbol, `${s.vol_now_pct.toFixed(1)}%`])],
    ['costs', costs.files[0], [costs.total.fees.toFixed(2), costs.total.net_pnl.toFixed(2)]],
    ['data-quality', dq.html, ['BTC/USDT 4h', 'ETH/USDT 4h']],
  ];
  for (const [kind, file, texts] of expect) {
    await c.step(`${kind} report in Chromium: ${path.basename(file)}`, async () => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems = [];
      const url = pathToFileURL(file).href;
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => { if (r.url() !== url && !r.url().startsWith('data:')) problems.push(`request: ${r.url()}`); });
      await page.goto(url);
      const body = await page.textContent('body');
      for (const t of texts) c.ok(body.includes(t), `${kind}: shows "${t}"`);
      // Every chart is drawn (an inline SVG or PNG with a size), the page is not empty.
      const charts = await page.$$eval('svg, img', (els) => els.map((e) => { const r = e.getBoundingClientRect(); return r.width * r.height; }));
      if (kind !== 'data-quality') c.ok(charts.length > 0 && charts.every((a) => a > 0), `${kind}: ${charts.length} chart(s), each drawn`);
      c.ok((await page.evaluate(() => document.body.scrollHeight)) > 300, `${kind}: the page has content`);
      c.ok(problems.length === 0, `${kind}: no page error and nothing loaded from elsewhere (${problems.join('; ')})`);
      await shot(page, shots, `report-${kind}`);
      await page.close();
    });
  }
} finally {
  await browser.close();
  fs.rmSync(home, { recursive: true, force: true });
}
process.exit(c.finish());
