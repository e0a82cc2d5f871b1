// Shared helpers of the browser tests: Debian's Chromium through playwright-core (never a
// downloaded browser), a checker that counts passes and failures, tab navigation, screenshots,
// and a watch on the console for CSP violations and page errors.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';

export const CHROMIUM = process.env.AURUM_CHROMIUM || '/usr/bin/chromium';
export const SKIP = 77; // ctest SKIP_RETURN_CODE

export const TAB_IDS = ['overview', 'equity', 'predictions', 'trades', 'risk', 'health', 'performance', 'signals', 'trade', 'settings'];

/** Command-line option `--name value`. */
export function opt(name, def = null) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
}

/** Exits with the skip code when Chromium is not installed. */
export function requireChromium() {
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`SKIPPED: ${CHROMIUM} not found (scripts/setup installs Debian's chromium)`);
    process.exit(SKIP);
  }
}

/**
 * The options every test against a real `aurum` takes (--aurum, --data, --shots), after the skip
 * checks: Chromium installed, the real BTC/USDT and ETH/USDT 4h candles of ../shared/data present
 * (exit 77 otherwise), the binary built. `csv(s)` is the path of symbol s's candles.
 */
export function realDataTest() {
  requireChromium();
  const data = path.resolve(opt('--data', '../../shared/data'));
  const csv = (s) => path.join(data, 'crypto', 'binance', `${s}USDT_4h.csv`);
  for (const f of [csv('BTC'), csv('ETH')]) {
    if (!fs.existsSync(f)) {
      console.log(`SKIPPED: real data ${f} not found (the test replays ../shared/data)`);
      process.exit(SKIP);
    }
  }
  const aurum = path.resolve(opt('--aurum', '../build/release/bin/aurum'));
  if (!fs.existsSync(aurum)) {
    console.log(`FAIL: ${aurum} not found (build it first)`);
    process.exit(1);
  }
  return { aurum, csv, shots: opt('--shots', null) };
}

export async function launch() {
  process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** Counts checks; prints each failure at once and "N passed, N failed" at the end. */
export class Checker {
  constructor() { this.passed = 0; this.failed = 0; }
  ok(cond, what) {
    if (cond) this.passed++;
    else { this.failed++; console.log(`FAIL: ${what}`); }
    return !!cond;
  }
  eq(actual, expected, what) {
    return this.ok(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
  async step(name, fn) {
    const before = this.failed;
    try { await fn(); } catch (e) { this.failed++; console.log(`FAIL: ${name}: ${e.message.split('\n')[0]}`); }
    console.log(`${this.failed === before ? 'ok  ' : 'FAIL'} ${name}`);
  }
  finish() {
    console.log(`${this.passed} passed, ${this.failed} failed`);
    return this.failed === 0 ? 0 : 1;
  }
}

/** A page that records CSP violations, page errors and failed same-origin requests. */
export async function newPage(browser, { width = 1280, height = 800 } = {}) {
  const page = await browser.newPage({ viewport: { width, height }, timezoneId: 'UTC' });
  const problems = [];
  page.on('console', (m) => {
    const t = m.text();
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(t)) problems.push(`CSP: ${t}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && u.protocol !== 'data:') problems.push(`request to another host: ${r.url()}`);
  });
  return { page, problems };
}

/** Opens a tab by its hash route and waits until its panels have data. */
export async function openTab(page, id) {
  await page.click(`nav.tabs a[data-tab="${id}"]`);
  await page.waitForSelector(`main[data-testid="tab-${id}"]`);
  // every panel with a freshness stamp has left "loading…"
  await page.waitForFunction(() => ![...document.querySelectorAll('.fresh')].some((e) => e.textContent.includes('loading')), null, { timeout: 10_000 });
  await page.waitForTimeout(150); // charts draw on the next frame
}

export async function shot(page, dir, name) {
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

export async function text(page, sel) {
  return (await page.textContent(sel))?.trim() ?? '';
}

/** Starts a child process and resolves with the first stdout match of `re`. */
export function startProcess(cmd, args, re, { env = process.env, cwd, timeoutMs = 60_000 } = {}) {
  const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const found = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not print ${re} within ${timeoutMs} ms:\n${out.slice(-2000)}`)), timeoutMs);
    const on = (d) => {
      out += d;
      const m = re.exec(out);
      if (m) { clearTimeout(timer); resolve(m); }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${cmd} exited (${code}) before ready:\n${out.slice(-2000)}`)); });
  });
  return { child, found, output: () => out };
}

/** The page's own fetch, with its cookie and the CSRF token (for driving state in a test). */
export async function pageCommand(page, kind, body) {
  return page.evaluate(async ([k, b]) => {
    const s = await (await fetch('/api/session')).json();
    const r = await fetch(`/api/commands/${k}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: JSON.stringify(b) });
    return { status: r.status, body: await r.json() };
  }, [kind, body]);
}
