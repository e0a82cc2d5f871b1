#!/usr/bin/env node
// End to end: the dashboard in Debian's Chromium against a real `aurum` daemon replaying the real
// BTC/USDT and ETH/USDT 4h candles of ../shared/data (skipped, exit 77, when they or Chromium are
// absent). Three acts, each on its own workspace or server:
//  A. a finished paper replay (sma-cross): every tab shows real figures, equity equals
//     `aurum status --json`, the trade count equals the server's and `aurum summary`'s;
//     Settings changes max_position and `aurum risk show` reads it back;
//  B. a replay running at one 4h bar per second (buy-hold, so positions are open): a manual
//     close from the Manual trade tab fills and shows in the trade log and the audit log;
//     EMERGENCY STOP with a reason closes every position and the halted banner appears;
//  C. `aurum dashboard` with the daemon down: OFFLINE, read-only banner, the halted banner,
//     every control disabled and a POST refused.
//   node test/browser-e2e.mjs --aurum build/release/bin/aurum --data ../shared/data [--shots DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Checker, realDataTest, launch, newPage, startProcess, openTab, text } from './browser-lib.mjs';
import { flowAuth, flowTabs, flowManualTrade, flowAuditHas, flowSettings, flowEmergencyStop, flowReadOnly } from './flows.mjs';
import { fmtMoney } from '../src/format.js';

const { aurum: AURUM, csv: CSV, shots } = realDataTest();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const aurum = (home, args, { json = false, ok = true } = {}) => {
  try {
    const out = execFileSync(AURUM, ['--home', home, ...(json ? ['--json'] : []), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return json ? JSON.parse(out) : out;
  } catch (e) {
    if (ok) throw new Error(`aurum ${args.join(' ')} exited ${e.status}: ${e.stderr || e.stdout}`);
    return json ? JSON.parse(e.stdout || 'null') : e.stdout;
  }
};
async function until(what, fn, timeoutMs = 60_000, everyMs = 250) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
const URL_RE = /(http:\/\/127\.0\.0\.1:\d+)(\/login\?token=[A-Za-z0-9_-]+)/;

function workspace(name) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `aurum-web-${name}-`));
  for (const s of ['BTC', 'ETH']) aurum(home, ['-q', 'data', 'import', '--symbol', `${s}/USDT`, '--timeframe', '4h', CSV(s)]);
  return home;
}

function daemon(home, extra) {
  const args = ['--home', home, 'run', '--mode', 'paper', '--symbols', 'BTC/USDT,ETH/USDT', '--timeframe', '4h',
    '--replay-from', '2023-02-01', '--serve', '--dashboard-port', '0', ...extra];
  return startProcess(AURUM, args, URL_RE, { timeoutMs: 120_000 });
}

const c = new Checker();
const browser = await launch();
const procs = [];
const homes = [];
try {
  // --- A: a finished replay -------------------------------------------------------------------
  const homeA = workspace('a');
  homes.push(homeA);
  const dA = daemon(homeA, ['--replay-to', '2023-06-01', '--speed', '0', '--param', 'fast=3', '--param', 'slow=8', '--param', 'stop-loss=0.03', '--fraction', '0.4']);
  procs.push(dA.child);
  const [, baseA, loginA] = await dA.found;
  const status = await until('the replay to complete', () => {
    const s = aurum(homeA, ['status'], { json: true, ok: false });
    return s?.session_status === 'complete' ? s : null;
  }, 180_000);
  const pageA = await newPage(browser);
  await pageA.page.goto(baseA + loginA);
  await pageA.page.waitForSelector('[data-testid="mode"]');
  await c.step('A: 401 without a session, 403 without CSRF', () => flowAuth(pageA.page, c, baseA));
  const ov = await pageA.page.evaluate(async () => (await fetch('/api/overview')).json());
  const summary = aurum(homeA, ['summary'], { json: true, ok: false });
  const total = (await pageA.page.evaluate(async () => (await fetch('/api/trades?limit=1')).json())).total;
  c.eq(ov.trades, total, 'overview trade count = /api/trades total');
  c.eq(ov.trades, summary?.trades, 'overview trade count = `aurum summary --json` trades');
  c.ok(ov.trades > 0, `the replay traded (${ov.trades} trades)`);
  await c.step('A: every tab shows the real figures', () => flowTabs(pageA.page, c, { shots, mode: 'PAPER', equityText: fmtMoney(status.equity, 'USDT'), tradeCount: ov.trades, stops: true }));
  await c.step('A: Settings changes max_position; aurum risk show reads it back', async () => {
    await flowSettings(pageA.page, c, '0.2', { shots });
    const risk = aurum(homeA, ['risk', 'show'], { json: true });
    c.eq(Number(risk.limits.max_position), 0.2, '`aurum risk show` max_position');
    await flowAuditHas(pageA.page, c, /risk_set/, 'risk_set in the audit log');
  });
  c.ok(pageA.problems.length === 0, `A: no CSP violation, page error or foreign request (${pageA.problems.join('; ')})`);
  aurum(homeA, ['stop'], { ok: false });

  // --- B: a running replay: manual trade, EMERGENCY STOP --------------------------------------
  const homeB = workspace('b');
  homes.push(homeB);
  const dB = daemon(homeB, ['--replay-to', '2023-12-31', '--speed', '14400', '--strategy', 'buy-hold']);
  procs.push(dB.child);
  const [, baseB, loginB] = await dB.found;
  await until('buy-hold to hold both symbols', () => (aurum(homeB, ['status'], { json: true, ok: false })?.positions ?? []).length === 2, 120_000);
  const pageB = await newPage(browser);
  await pageB.page.goto(baseB + loginB);
  await pageB.page.waitForSelector('[data-testid="mode"]');
  await c.step('B: manual close of ETH/USDT: preview, submit, trade log, audit log', async () => {
    const before = (await pageB.page.evaluate(async () => (await fetch('/api/trades?symbol=ETH%2FUSDT&limit=1')).json())).total;
    await flowManualTrade(pageB.page, c, { symbol: 'ETH/USDT', side: 'close', amount: '', reason: 'e2e manual close', shots });
    await until('the manual close to fill', async () => (await pageB.page.evaluate(async () => (await fetch('/api/trades?symbol=ETH%2FUSDT&limit=1')).json())).total > before, 30_000);
    await openTab(pageB.page, 'trades');
    await pageB.page.selectOption('select[name="symbol"]', 'ETH/USDT');
    await pageB.page.waitForFunction((n) => document.querySelector('[data-testid="panel-trades"] h2').textContent.includes(`(${n})`), before + 1, { timeout: 15_000 }).catch(() => {});
    c.ok((await text(pageB.page, '[data-testid="panel-trades"] h2')).includes(`(${before + 1})`), 'the trade log shows the new ETH/USDT trade');
    await flowAuditHas(pageB.page, c, /trade[\s\S]*e2e manual close/, 'the manual trade is in the audit log');
  });
  await c.step('B: EMERGENCY STOP closes every position and shows the halted banner', async () => {
    // The daemon exits once flat: the page may not see the last fill; `aurum status` and act C do.
    await flowEmergencyStop(pageB.page, c, { shots, expectFlat: false }).catch((e) => c.ok(false, `emergency stop flow: ${e.message.split('\n')[0]}`));
    const st = await until('positions closed', () => {
      const s = aurum(homeB, ['status'], { json: true, ok: false });
      return s && (s.positions ?? []).length === 0 ? s : null;
    }, 60_000);
    c.eq(st.trading_state, 'HALTED', '`aurum status` trading_state after the stop');
  });
  c.ok(pageB.problems.length === 0, `B: no CSP violation or page error (${pageB.problems.join('; ')})`);
  await until('the daemon to exit after the emergency stop', () => dB.child.exitCode !== null, 60_000).catch(() => dB.child.kill('SIGTERM'));
  await c.step('B: the page says the daemon is gone and keeps the halt on screen', async () => {
    await pageB.page.waitForSelector('[data-testid="lost-banner"]', { timeout: 20_000 }).catch(() => {});
    c.ok(await pageB.page.$('[data-testid="lost-banner"]'), 'the no-connection banner appears once the daemon has exited');
    c.ok(await pageB.page.$('[data-testid="halted-banner"]'), 'the halted banner stays on screen after the daemon exited');
  });

  // --- C: daemon down: `aurum dashboard` is read-only -----------------------------------------
  const dC = startProcess(AURUM, ['--home', homeB, 'dashboard', '--port', '0'], URL_RE, { timeoutMs: 60_000 });
  procs.push(dC.child);
  const [, baseC, loginC] = await dC.found;
  const pageC = await newPage(browser);
  await pageC.page.goto(baseC + loginC);
  await pageC.page.waitForSelector('[data-testid="mode"]');
  await c.step('C: daemon down: read-only, every control disabled', async () => {
    await openTab(pageC.page, 'overview');
    c.ok(await pageC.page.$('[data-testid="halted-banner"]'), 'the halted banner stays until acknowledged');
    c.ok((await text(pageC.page, '[data-testid="panel-positions"]')).includes('flat'), 'no open position after the emergency stop');
    c.ok(await pageC.page.isDisabled('[data-testid="btn-ack"]'), 'acknowledge disabled while read-only');
    await flowReadOnly(pageC.page, c, { shots });
  });
  c.ok(pageC.problems.length === 0, `C: no CSP violation or page error (${pageC.problems.join('; ')})`);
} finally {
  await browser.close();
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
  await sleep(500);
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
}
process.exit(c.finish());
