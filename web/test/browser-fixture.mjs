#!/usr/bin/env node
// The dashboard in Debian's Chromium against the fixture server (test/fixture-server.mjs):
// every tab renders with the fixture's figures, login/CSRF rules, a manual trade reaches the
// trade log and the audit log, Settings applies a limit, EMERGENCY STOP halts and shows the
// banner everywhere, and in read-only mode every control is disabled. No daemon needed; the
// same flows run against a real daemon in test/browser-e2e.mjs.
//   node test/browser-fixture.mjs [--dist DIR] [--shots DIR]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Checker, requireChromium, launch, newPage, opt, startProcess, openTab, text } from './browser-lib.mjs';
import { flowAuth, flowTabs, flowTypingSurvives, flowManualTrade, flowAuditHas, flowSettings, flowEmergencyStop, flowAcknowledge, flowReadOnly } from './flows.mjs';
import { fmtMoney } from '../src/format.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = opt('--dist', path.join(here, '..', 'dist'));
const shots = opt('--shots', null);
requireChromium();

async function server(extra = []) {
  const s = startProcess(process.execPath, [path.join(here, 'fixture-server.mjs'), '--dist', dist, ...extra], /listening (http:\/\/[^/]+)(\/login\S+)/);
  const m = await s.found;
  return { child: s.child, base: m[1], login: m[1] + m[2] };
}

const c = new Checker();
const browser = await launch();
const procs = [];
try {
  const srv = await server();
  procs.push(srv.child);
  const { page, problems } = await newPage(browser);
  await c.step('login via the one-time token sets the cookie', async () => {
    await page.goto(srv.login);
    await page.waitForSelector('[data-testid="mode"]');
    c.eq(new URL(page.url()).pathname, '/', 'redirected to /');
    const again = await fetch(srv.login, { redirect: 'manual' });
    c.eq(again.status, 401, 'the login token works once');
  });
  await c.step('auth: 401 without session, 403 without CSRF', () => flowAuth(page, c, srv.base));
  const ov = await page.evaluate(async () => (await fetch('/api/overview')).json());
  await c.step('every tab shows the server figures', () => flowTabs(page, c, { shots, mode: 'PAPER', equityText: fmtMoney(ov.equity, 'USDT'), tradeCount: ov.trades }));
  await c.step('typing survives a refresh', () => flowTypingSurvives(page, c));
  await c.step('manual trade: preview, submit, trade log, audit log', async () => {
    const reason = 'browser test manual buy';
    await flowManualTrade(page, c, { symbol: 'ETH/USDT', amount: 0.05, reason, shots });
    await openTab(page, 'trades');
    await page.click('th[data-col="entry_time"]'); // newest first
    await page.waitForFunction((r) => document.querySelector('[data-testid="trade-table"]').textContent.includes(r), reason, { timeout: 10_000 }).catch(() => {});
    c.ok((await text(page, '[data-testid="trade-table"]')).includes(reason), 'the manual trade is in the trade log');
    await flowAuditHas(page, c, /trade[\s\S]*browser test manual buy/, 'the manual trade is in the audit log');
  });
  await c.step('settings: change max_position', async () => {
    await flowSettings(page, c, '0.2', { shots });
    const r = await page.evaluate(async () => (await fetch('/api/risk')).json());
    c.eq(r.limits.max_position, '0.2', 'the server has the new max_position');
    await flowAuditHas(page, c, /risk_set/, 'risk_set in the audit log');
  });
  await c.step('emergency stop: dialog, positions closed, halted banner', () => flowEmergencyStop(page, c, { shots }));
  await c.step('acknowledge the stop', () => flowAcknowledge(page, c));
  c.ok(problems.length === 0, `no CSP violation, page error or foreign request (${problems.join('; ')})`);

  const ro = await server(['--read-only']);
  procs.push(ro.child);
  const p2 = await newPage(browser);
  await p2.page.goto(ro.login);
  await p2.page.waitForSelector('[data-testid="mode"]');
  await c.step('read-only: every control disabled', () => flowReadOnly(p2.page, c, { shots }));
  c.ok(p2.problems.length === 0, `read-only page: no CSP violation or page error (${p2.problems.join('; ')})`);
} finally {
  await browser.close();
  for (const p of procs) p.kill('SIGTERM');
}
process.exit(c.finish());
