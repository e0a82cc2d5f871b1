// What a person does with the dashboard, as steps shared by the fixture test and the end-to-end
// test against a real daemon. Each step asserts what the page shows; the callers compare with
// the server (fixture JSON, or `aurum status/summary/risk show`).
import { TAB_IDS, openTab, shot, text, pageCommand } from './browser-lib.mjs';

/** No cookie: 401 and nothing runs; with the cookie but no CSRF header: 403. */
export async function flowAuth(page, c, base) {
  const r = await fetch(`${base}/api/overview`);
  c.eq(r.status, 401, 'GET /api/overview without a session cookie');
  const p = await fetch(`${base}/api/commands/emergency_stop`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"reason":"x"}' });
  c.eq(p.status, 401, 'POST without a session cookie');
  const noCsrf = await page.evaluate(async () => (await fetch('/api/commands/emergency_stop', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"reason":"no csrf"}' })).status);
  c.eq(noCsrf, 403, 'POST with the cookie but without X-CSRF-Token');
  const cookieVisible = await page.evaluate(() => document.cookie.includes('aurum_session'));
  c.ok(!cookieVisible, 'the session cookie is HttpOnly (not readable by the page)');
}

/** Opens every tab, checks it shows figures, saves a screenshot. */
export async function flowTabs(page, c, { shots, equityText, tradeCount, mode, stops = false }) {
  await openTab(page, 'overview');
  c.eq(await text(page, '[data-testid="mode"]'), mode, 'mode banner');
  if (equityText) c.eq(await text(page, '[data-testid="equity"]'), equityText, 'Overview equity = server equity');
  if (tradeCount !== undefined) c.eq(await text(page, '[data-testid="trade-count"]'), String(tradeCount), 'Overview trade count = server trade count');
  c.ok((await page.$$('[data-testid="fresh"]')).length >= 4, 'Overview panels carry an "as of" stamp');
  await shot(page, shots, '01-overview');

  await openTab(page, 'equity');
  c.ok(await page.$('[data-testid="panel-equity"] canvas'), 'Equity: chart drawn');
  c.ok((await page.$$('[data-testid="panel-equity"] .uplot')).length === 2, 'Equity: equity and underwater charts');
  if (equityText) c.eq(await text(page, '[data-testid="equity-last"]'), equityText, 'Equity: last point = server equity');
  await shot(page, shots, '02-equity');

  await openTab(page, 'predictions');
  c.ok(await page.$('[data-testid="panel-calibration"]'), 'Predictions: calibration panel');
  await shot(page, shots, '03-predictions');

  await openTab(page, 'trades');
  const total = await text(page, '[data-testid="panel-trades"] h2');
  if (tradeCount !== undefined) c.eq(total, `Trades (${Number(tradeCount).toLocaleString('en-US')})`, 'Trade log: total = server trade count');
  const first = await page.$('[data-testid="trade-table"] tbody tr[data-trade]');
  if (c.ok(first, 'Trade log: has rows')) {
    await first.click();
    await page.waitForSelector('[data-testid="panel-decision"] .stats');
    await page.waitForSelector('[data-testid="panel-decision"] .candles canvas', { timeout: 10_000 });
    c.ok(await page.$('.attribution'), 'Decision record: candles with the lightweight-charts attribution');
    if (stops) {
      const line = await page.waitForSelector('[data-testid="trade-stops"]', { timeout: 10_000 }).then((e) => e.textContent()).catch(() => '');
      c.ok(/Protective stop.*\d/.test(line), `Decision record: the trade's protective stop (${line})`);
    }
    await page.$eval('[data-testid="panel-decision"]', (e) => e.scrollIntoView());
    await page.waitForTimeout(300);
    await shot(page, shots, '04-trade-decision');
    await page.evaluate(() => window.scrollTo(0, 0));
  }
  // filters: wins only, then one symbol
  await page.selectOption('select[name="outcome"]', 'win');
  // (a win below half a cent shows as 0.00: never negative)
  const pnlOf = (t) => Number(t.replace(/[^0-9.+-]/g, ''));
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="trade-table"] tbody tr[data-trade] td:nth-child(9)')].every((t) => !t.textContent.startsWith('-')), null, { timeout: 10_000 }).catch(() => {});
  const winPnls = await page.$$eval('[data-testid="trade-table"] tbody tr[data-trade] td:nth-child(9)', (tds) => tds.map((t) => t.textContent));
  c.ok(winPnls.length > 0 && winPnls.every((t) => pnlOf(t) >= 0), `Trade log: outcome filter shows only wins (${winPnls.filter((t) => pnlOf(t) < 0).join(', ')})`);
  await page.selectOption('select[name="outcome"]', '');
  const sym = await page.$eval('[data-testid="trade-table"] tbody tr[data-trade] td:nth-child(2)', (t) => t.textContent);
  await page.selectOption('select[name="symbol"]', sym);
  await page.waitForFunction((s) => [...document.querySelectorAll('[data-testid="trade-table"] tbody tr[data-trade] td:nth-child(2)')].every((t) => t.textContent === s), sym, { timeout: 10_000 }).catch(() => {});
  const syms = await page.$$eval('[data-testid="trade-table"] tbody tr[data-trade] td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
  c.ok(syms.length > 0 && syms.every((t) => t === sym), `Trade log: symbol filter shows only ${sym}`);
  await page.selectOption('select[name="symbol"]', '');
  // sort by P&L ascending: the first row has the smallest P&L of the page
  await page.click('th[data-col="pnl"]');
  await page.waitForSelector('th[data-col="pnl"].sorted');
  await page.click('th[data-col="pnl"]');
  await page.waitForFunction(() => document.querySelector('th[data-col="pnl"]').textContent.includes('▲'));
  await page.waitForTimeout(400);
  const pnls = await page.$$eval('[data-testid="trade-table"] tbody tr[data-trade] td:nth-child(9)', (tds) => tds.map((t) => Number(t.textContent.replace(/[^0-9.+-]/g, ''))));
  c.ok(pnls.length > 0 && pnls.every((v, i) => i === 0 || v >= pnls[i - 1]), 'Trade log: sorted by P&L ascending');

  await openTab(page, 'risk');
  c.ok((await page.$$('[data-testid="gauge"]')).length >= 3, 'Risk: a gauge per circuit breaker');
  await shot(page, shots, '05-risk');
  await openTab(page, 'health');
  c.ok((await text(page, '[data-testid="health-ok"]')).length > 0, 'Health: status shown');
  await shot(page, shots, '06-health');
  await openTab(page, 'performance');
  c.ok(await page.$('[data-testid="panel-by-asset"] tbody tr'), 'Performance: per-asset table');
  await shot(page, shots, '07-performance');
  await openTab(page, 'signals');
  await shot(page, shots, '08-signals');
  await openTab(page, 'trade');
  await shot(page, shots, '09-manual-trade');
  await openTab(page, 'settings');
  await shot(page, shots, '10-settings');
  c.eq(TAB_IDS.length, 10, 'ten tabs');
}

/** A refresh (SSE event after a command) keeps what the user is typing. */
export async function flowTypingSurvives(page, c) {
  await openTab(page, 'settings');
  await page.fill('input[name="max_position"]', '0.123');
  await page.evaluate(() => document.querySelector('input[name="max_position"]').focus());
  const before = await page.$eval('[data-testid="panel-audit"] .fresh', (e) => e.textContent);
  await pageCommand(page, 'resume', { reason: 'refresh test' }); // any command -> SSE state event -> refetch
  await page.waitForFunction((b) => document.querySelector('[data-testid="panel-audit"] .fresh').textContent !== b, before, { timeout: 35_000 }).catch(() => {});
  c.eq(await page.inputValue('input[name="max_position"]'), '0.123', 'a refresh does not reset a form being typed in');
  await page.fill('input[name="max_position"]', '');
}

/** Preview then submit a manual trade; returns the outcome text. */
export async function flowManualTrade(page, c, { symbol, side = 'long', amount, reason, shots }) {
  await openTab(page, 'trade');
  await page.fill('input[name="symbol"]', symbol);
  await page.selectOption('select[name="side"]', side);
  await page.fill('input[name="amount"]', String(amount));
  await page.fill('input[name="reason"]', reason);
  c.ok(await page.isDisabled('[data-testid="btn-submit"]'), 'Manual trade: submit disabled before a preview');
  await page.click('[data-testid="btn-preview"]');
  await page.waitForSelector('[data-testid="verdict"]');
  const verdict = await text(page, '[data-testid="verdict"]');
  c.ok(/APPROVED|REDUCED/.test(verdict), `Manual trade: verdict shown (${verdict.slice(0, 80)})`);
  c.ok(/final size/.test(verdict) && /heat/.test(verdict), 'Manual trade: verdict has final size and heat');
  await shot(page, shots, '09-manual-trade-verdict');
  await page.click('[data-testid="btn-submit"]');
  await page.waitForSelector('[data-testid="panel-manual"] [data-testid="outcome"]');
  const out = await text(page, '[data-testid="panel-manual"] [data-testid="outcome"]');
  c.ok(await page.$('[data-testid="panel-manual"] .outcome.ok'), `Manual trade: accepted (${out})`);
  return out;
}

/** The audit log (Settings tab) lists a command whose text matches. */
export async function flowAuditHas(page, c, re, what) {
  await openTab(page, 'settings');
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-testid="panel-audit"]').textContent), re.source, { timeout: 15_000 }).catch(() => {});
  c.ok(re.test(await text(page, '[data-testid="panel-audit"]')), what);
}

/** Change max_position in Settings: diff shown, applied, current value updated. */
export async function flowSettings(page, c, value, { shots } = {}) {
  await openTab(page, 'settings');
  await page.fill('input[name="max_position"]', value);
  await page.waitForSelector('[data-testid="diff"]');
  c.ok((await text(page, '[data-testid="diff"]')).includes(value), 'Settings: the diff shows the new value');
  await shot(page, shots, '10-settings-diff');
  await page.click('[data-testid="btn-apply"]');
  await page.waitForSelector('[data-testid="panel-settings"] [data-testid="outcome"]');
  c.ok(await page.$('[data-testid="panel-settings"] .outcome.ok'), `Settings: applied (${await text(page, '[data-testid="panel-settings"] [data-testid="outcome"]')})`);
  await page.waitForFunction((v) => {
    const row = [...document.querySelectorAll('.settings tbody tr')].find((r) => r.cells[0].textContent === 'max_position');
    return row && Number(row.cells[1].textContent) === Number(v);
  }, value, { timeout: 35_000 }).catch(() => {});
  const cur = await page.$$eval('.settings tbody tr', (rows) => rows.find((r) => r.cells[0].textContent === 'max_position')?.cells[1].textContent);
  c.eq(Number(cur), Number(value), 'Settings: current max_position after apply');
}

/** EMERGENCY STOP: dialog with a reason, then the halted banner and no positions. */
export async function flowEmergencyStop(page, c, { shots, expectFlat = true } = {}) {
  await openTab(page, 'overview');
  await page.click('[data-testid="btn-stop"]');
  await page.waitForSelector('.modal.danger');
  c.ok(await page.isDisabled('[data-testid="confirm-stop"]'), 'EMERGENCY STOP: confirm disabled until a reason is typed');
  await page.fill('.modal textarea[name="reason"]', 'browser test: emergency stop');
  await page.click('[data-testid="confirm-stop"]');
  await page.waitForSelector('[data-testid="halted-banner"]', { timeout: 30_000 });
  c.ok(true, 'halted banner shown');
  if (expectFlat) {
    await page.waitForFunction(() => document.querySelector('[data-testid="panel-positions"]')?.textContent.includes('flat'), null, { timeout: 30_000 }).catch(() => {});
    c.ok((await text(page, '[data-testid="panel-positions"]')).includes('flat'), 'positions closed after the stop');
  }
  for (const id of ['risk', 'settings']) {
    await openTab(page, id);
    c.ok(await page.$('[data-testid="halted-banner"]'), `halted banner on the ${id} tab too`);
  }
  await openTab(page, 'overview');
  await shot(page, shots, '11-halted');
}

/** Acknowledge the stop from the banner; the banner goes away. */
export async function flowAcknowledge(page, c) {
  await page.fill('input[name="ack-reason"]', 'browser test: checked, safe to resume');
  await page.click('[data-testid="btn-ack"]');
  await page.waitForSelector('[data-testid="halted-banner"]', { state: 'detached', timeout: 30_000 }).catch(() => {});
  c.ok(!(await page.$('[data-testid="halted-banner"]')), 'halted banner gone after acknowledgement');
}

/** Read-only session: banner, and every control disabled. */
export async function flowReadOnly(page, c, { shots } = {}) {
  await openTab(page, 'overview');
  c.ok(await page.$('[data-testid="readonly-banner"]'), 'read-only banner shown');
  c.eq(await text(page, '[data-testid="mode"]'), 'OFFLINE', 'mode banner says OFFLINE');
  for (const b of ['btn-stop', 'btn-pause', 'btn-resume']) c.ok(await page.isDisabled(`[data-testid="${b}"]`), `${b} disabled when read-only`);
  await shot(page, shots, '12-read-only');
  await openTab(page, 'trade');
  await page.fill('input[name="symbol"]', 'BTC/USDT');
  await page.fill('input[name="amount"]', '0.001');
  await page.fill('input[name="reason"]', 'read-only test');
  c.ok(await page.isDisabled('[data-testid="btn-submit"]'), 'manual trade submit disabled when read-only');
  await openTab(page, 'settings');
  c.ok(await page.isDisabled('input[name="max_position"]'), 'settings inputs disabled when read-only');
  c.ok(await page.isDisabled('[data-testid="btn-apply"]'), 'settings apply disabled when read-only');
  await openTab(page, 'signals');
  for (const b of await page.$$('[data-testid="panel-signals"] tbody button')) c.ok(await b.isDisabled(), 'signal approve/reject disabled when read-only');
  const st = await page.evaluate(async () => {
    const s = await (await fetch('/api/session')).json();
    const r = await fetch('/api/commands/pause', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: '{"duration_ms":60000}' });
    return r.status;
  });
  c.eq(st, 409, 'a POST in read-only mode is refused with 409');
}
