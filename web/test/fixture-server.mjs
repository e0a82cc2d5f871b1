#!/usr/bin/env node
// A tiny stand-in for the dashboard server (docs/dashboard-api.md), for developing the page and
// running the browser tests without a daemon. 127.0.0.1 only. It keeps the real server's rules
// that the page depends on: one-time login token -> HttpOnly SameSite=Strict cookie, 401 without
// it, CSRF header on POSTs (403), 400 {error, field, value} for bad bodies, 409 when read-only,
// the strict CSP on every response, and an SSE stream.
//   node test/fixture-server.mjs [--port N] [--dist DIR] [--read-only] [--token T]
// Prints "listening http://127.0.0.1:PORT/login?token=T" when ready.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { makeWorld, SYMBOLS, H4, DAY } from './fixtures.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const PORT = Number(opt('--port', '0'));
const DIST = path.resolve(opt('--dist', path.join(here, '..', 'dist')));
const READ_ONLY = args.includes('--read-only');
const TOKEN = opt('--token', crypto.randomBytes(12).toString('hex'));
// The server's policy (docs/dashboard-api.md): scripts only from the origin, no inline script.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const world = makeWorld();
const last = world.times.length - 1;
const now = () => world.times[last] + 3600 * 1000; // session clock: one hour after the last bar close
const sessions = new Map(); // cookie -> csrf
let tokenUsed = false;
let nextSignal = 1;
let nextTrade = world.trades.length;

const state = {
  mode: 'ACTIVE', halt: null,
  limits: { max_position: 0.25, max_portfolio_heat: 0.5, max_leverage: 1, daily_loss_limit: 0.05, max_drawdown: 0.15, loss_streak: 3, cooldown: '1d', correlation_threshold: 0.7, max_correlated_exposure: 0.35, correlation_window: 60, min_equity: 0, max_loosen_factor: 2 },
  positions: [
    { symbol: 'BTC/USDT', side: 'long', qty: 0.03, unit: 'BTC', entry_time: world.times[last - 6], entry_price: world.candles['BTC/USDT'].close[last - 6], confidence: 0.64 },
    { symbol: 'XAUUSD', side: 'short', qty: 0.5, unit: 'oz', entry_time: world.times[last - 3], entry_price: world.candles.XAUUSD.close[last - 3], confidence: 0.58 },
  ],
};
for (let i = 0; i < 3; i++) {
  const s = SYMBOLS[i % 3].symbol;
  world.signals.push({ id: nextSignal++, symbol: s, side: i === 1 ? 'short' : 'long', quantity: [0.02, 0.4, 0.5][i], price: world.candles[s].close[last], probability: 0.62 + i * 0.03, created: now() - (i + 1) * 600000, expires: now() + (i + 1) * 3600000, status: 'pending' });
}

const mark = (sym) => world.candles[sym].close[last];
const realized = () => world.trades.reduce((a, t) => a + t.pnl, 0);
const unreal = (p) => (p.side === 'long' ? 1 : -1) * (mark(p.symbol) - p.entry_price) * p.qty;
const equity = () => world.capital + realized() + state.positions.reduce((a, p) => a + unreal(p), 0);
const sumSince = (t) => world.trades.filter((x) => x.exit_time >= t).reduce((a, x) => a + x.pnl, 0);
const pub = ({ stop, ...t }) => t;

function winRate(ts) {
  return ts.length ? ts.filter((t) => t.pnl > 0).length / ts.length : null;
}

function sharpe(values) {
  const r = [];
  for (let i = 1; i < values.length; i++) r.push(values[i] / values[i - 1] - 1);
  const m = r.reduce((a, b) => a + b, 0) / (r.length || 1);
  const sd = Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / (r.length || 1));
  return sd > 0 ? (m / sd) * Math.sqrt(6 * 365) : 0;
}

function latestPredictions() {
  return SYMBOLS.map((s, i) => {
    const members = ['xgboost', 'lstm', 'logistic'].map((m, j) => {
      const p = 0.5 + Math.sin(i * 3 + j) * 0.12;
      return { model: m, probability: p, vote: p > 0.55 ? 'up' : p < 0.45 ? 'down' : 'flat' };
    });
    const prob = members.reduce((a, m) => a + m.probability, 0) / members.length;
    const votes = members.map((m) => m.vote);
    const top = Math.max(...['up', 'down', 'flat'].map((v) => votes.filter((x) => x === v).length));
    return {
      symbol: s.symbol, time: world.times[last], model: 'ensemble-v3', direction: prob > 0.55 ? 'up' : prob < 0.45 ? 'down' : 'flat',
      probability: prob, confidence: Math.abs(prob - 0.5) * 2,
      top_features: [['rsi_14', 61.2, 0.081], ['ret_6', 0.012, 0.054], ['atr_pct', 0.021, -0.032], ['funding_8h', 0.0001, 0.018], ['vol_z', 1.4, -0.011]]
        .map(([name, value, c]) => ({ name, value, contribution: c * (i + 1) * (prob > 0.5 ? 1 : -1) })),
      members, agreement: top / members.length,
    };
  });
}

function overview() {
  const e = equity();
  return {
    as_of: now(), data_time: world.times[last] + H4, mode: 'paper', clock: 'replay', strategy: 'model', session_id: 'fixture-session', state: state.mode,
    state_text: state.mode === 'PAUSED' ? `PAUSED until ${new Date(state.halt.until).toISOString()}` : state.mode, halt: state.halt, trades: world.trades.length, stale: false,
    capital: world.capital, equity: e, cash: e - state.positions.reduce((a, p) => a + p.qty * mark(p.symbol), 0), currency: 'USDT',
    symbols: SYMBOLS.map((s) => s.symbol),
    pnl: { realized: realized(), unrealized: e - world.capital - realized(), today: sumSince(now() - DAY), week: sumSince(now() - 7 * DAY), total: e - world.capital },
    sharpe: sharpe(world.equity), win_rate: winRate(world.trades), targets: { sharpe: 1.5, win_rate: 0.55 },
    positions: state.positions.map((p) => ({ ...p, mark_price: mark(p.symbol), unrealized: unreal(p), pct_equity: (p.qty * mark(p.symbol)) / e })),
    recent_trades: world.trades.slice(-8).reverse().map((t) => ({ ...pub(t), why: t.reason })),
    predictions: latestPredictions().map(({ top_features, members, ...p }) => p),
    health: { ok: true, failed: [] },
  };
}

function tradesQuery(q) {
  let rows = world.trades.slice();
  if (q.get('symbol')) rows = rows.filter((t) => t.symbol === q.get('symbol'));
  if (q.get('outcome') === 'win') rows = rows.filter((t) => t.pnl > 0);
  if (q.get('outcome') === 'loss') rows = rows.filter((t) => t.pnl <= 0);
  if (q.get('from')) rows = rows.filter((t) => t.exit_time >= Number(q.get('from')));
  if (q.get('to')) rows = rows.filter((t) => t.exit_time <= Number(q.get('to')));
  const sort = q.get('sort') || 'entry_time';
  if (!['entry_time', 'exit_time', 'pnl', 'pnl_pct', 'symbol', 'hold_ms', 'qty'].includes(sort)) throw new Bad(400, `sort: unknown field '${sort}'`, 'sort', sort);
  const dir = q.get('order') === 'asc' ? 1 : -1;
  rows.sort((a, b) => (a[sort] < b[sort] ? -dir : a[sort] > b[sort] ? dir : 0));
  const off = Number(q.get('offset') || 0), lim = Number(q.get('limit') || 100);
  return { as_of: now(), total: rows.length, trades: rows.slice(off, off + lim).map(pub) };
}

function decision(id) {
  const t = world.trades.find((x) => x.id === id);
  if (!t) return null;
  const eq = world.capital;
  const frac = (t.qty * t.entry_price) / eq;
  const requested = t.qty * 1.4;
  return {
    as_of: now(), trade: pub(t),
    prediction: { model: 'ensemble-v3', direction: t.side === 'long' ? 'up' : 'down', probability: t.side === 'long' ? 0.63 : 0.38, confidence: 0.26,
      members: [{ model: 'xgboost', probability: 0.66, vote: 'up' }, { model: 'lstm', probability: 0.6, vote: 'up' }] },
    features: [{ name: 'rsi_14', value: 58.1, contribution: 0.07 }, { name: 'ret_6', value: 0.011, contribution: 0.04 }, { name: 'atr_pct', value: 0.019, contribution: -0.02 }],
    sizing: { requested_qty: requested, fraction: frac * 1.4, equity: eq, price: t.entry_price,
      arithmetic: `Kelly 0.5 x edge 0.26 -> fraction ${(frac * 1.4).toFixed(4)}; ${(frac * 1.4).toFixed(4)} x ${eq.toFixed(2)} USDT / ${t.entry_price.toFixed(2)} = ${requested.toFixed(6)} ${t.unit}` },
    risk: [{ rule: 'max_correlated_exposure', requested, final: t.qty, reason: `reduced to ${t.qty.toFixed(4)} ${t.unit} due to existing correlated position` }],
    entry: { time: t.entry_time, price: t.entry_price }, exit: { time: t.exit_time, price: t.exit_price }, pnl: t.pnl, hold_ms: t.hold_ms,
  };
}

function candles(q) {
  const sym = q.get('symbol');
  const c = world.candles[sym];
  if (!c) return null;
  const from = Number(q.get('from') || 0), to = Number(q.get('to') || Infinity);
  const idx = c.time.map((t, i) => i).filter((i) => c.time[i] >= from && c.time[i] <= to);
  const pick = (a) => idx.map((i) => a[i]);
  const inRange = world.trades.filter((t) => t.symbol === sym && t.entry_time >= from && t.entry_time <= to);
  return {
    as_of: now(), data_time: world.times[last] + H4, symbol: sym, timeframe: '4h', time: pick(c.time), open: pick(c.open), high: pick(c.high), low: pick(c.low), close: pick(c.close), volume: pick(c.volume),
    markers: inRange.flatMap((t) => [{ time: t.entry_time, kind: 'entry', side: t.side, price: t.entry_price, trade_id: t.id }, { time: t.exit_time, kind: 'exit', side: t.side, price: t.exit_price, trade_id: t.id }]),
    stops: inRange.map((t) => ({ trade_id: t.id, price: t.stop, from: t.entry_time, to: t.exit_time })),
  };
}

function risk() {
  const e = equity();
  const pos = state.positions.map((p) => ({ symbol: p.symbol, notional: p.qty * mark(p.symbol), pct_equity: (p.qty * mark(p.symbol)) / e }));
  const heat = pos.reduce((a, p) => a + p.pct_equity, 0);
  const peak = Math.max(...world.equity);
  const dd = Math.max(0, 1 - e / peak);
  const lossToday = Math.max(0, -sumSince(now() - DAY) / e);
  const L = state.limits;
  const br = (name, value, limit) => ({ name, value, limit, pct_used: (value / limit) * 100, tripped: value >= limit, unit: name.startsWith('loss_streak') ? 'count' : 'fraction' });
  return {
    as_of: now(), data_time: world.times[last] + H4, limits: Object.fromEntries(Object.entries(L).map(([k, v]) => [k, String(v)])), state: state.mode, heat, leverage: heat, equity: e, positions: pos,
    correlation: { symbols: SYMBOLS.map((s) => s.symbol), matrix: [[1, 0.82, 0.11], [0.82, 1, 0.07], [0.11, 0.07, 1]] },
    breakers: [br('daily_loss', lossToday, L.daily_loss_limit), br('drawdown', dd, L.max_drawdown), br('portfolio_heat', heat, L.max_portfolio_heat),
      br('max_position', Math.max(0, ...pos.map((p) => p.pct_equity)), L.max_position), br('loss_streak:ETH/USDT', 1, L.loss_streak)],
    cooldowns: [],
  };
}

function health() {
  const bar = world.times[last] + H4;
  return {
    as_of: now(), uptime_s: 93784, db_bytes: 48_234_496, failures: READ_ONLY ? ['daemon not running'] : [],
    daemon: { running: !READ_ONLY, uptime_ms: 93784000, pid: READ_ONLY ? 0 : process.pid },
    database: { connected: true, describe: 'sqlite workspace/aurum.db', last_write_ms_ago: 1200 },
    data_feed: { symbols: SYMBOLS.map((x) => x.symbol), timeframe: '4h', clock: 'replay', last_bar: world.times[last], stale: false },
    model: { loaded: true, strategy: 'model', last_decision: bar, models: [], notices: ['XAUUSD: weekend gap, no bars until Monday open'],
      last_prediction: { time: world.times[last], symbol: 'BTC/USDT', p_up: 0.57 } },
    risk: { state: state.mode, text: state.mode, active: !READ_ONLY }, disk: { used_pct: 41.5, warning: false }, recent: { errors: 0, warnings: 1 },
    last_trade: { time: world.trades[world.trades.length - 1].exit_time, text: 'XAUUSD sell (strategy)' },
    data: SYMBOLS.map((x, i) => ({ symbol: x.symbol, timeframe: '4h', last_bar: world.times[last], age_s: 3600 + i * 60, stale: false })),
    models: SYMBOLS.map((x) => ({ symbol: x.symbol, model: { name: 'ensemble', version: 3, load_ms: 41 } })),
    jobs: [{ name: 'retrain', schedule: 'weekly Sun 02:00', last_run: now() - 3 * DAY, next_run: now() + 4 * DAY, last_status: 'ok' }, { name: 'backfill', schedule: 'every 4h', next_run: now() + 3 * 3600000 }],
    log_tail: [{ time: now() - 7200000, level: 'warn', text: 'XAUUSD: weekend gap, no bars until Monday open' }, { time: now() - 3600000, level: 'info', text: 'bar close BTC/USDT 4h processed in 3.1 ms' }],
  };
}

function performance() {
  const ts = world.trades;
  const wins = ts.filter((t) => t.pnl > 0), losses = ts.filter((t) => t.pnl <= 0);
  const sum = (a) => a.reduce((x, t) => x + t.pnl, 0);
  const times = [], values = [];
  for (let i = 180; i < world.equity.length; i += 6) { times.push(world.times[i]); values.push(sharpe(world.equity.slice(i - 180, i))); }
  const monthly = [];
  const byMonth = new Map();
  world.times.forEach((t, i) => { const d = new Date(t); byMonth.set(`${d.getUTCFullYear()}-${d.getUTCMonth() + 1}`, [d.getUTCFullYear(), d.getUTCMonth() + 1, i]); });
  let prev = world.capital;
  for (const [, [year, month, i]] of byMonth) { monthly.push({ year, month, return: world.equity[i] / prev - 1 }); prev = world.equity[i]; }
  const edges = Array.from({ length: 21 }, (_, i) => -0.1 + i * 0.01);
  const counts = Array(20).fill(0);
  for (const t of ts) counts[Math.max(0, Math.min(19, Math.floor((t.pnl_pct + 0.1) / 0.01)))]++;
  const sorted = ts.slice().sort((a, b) => b.pnl - a.pnl);
  return {
    as_of: now(), rolling_sharpe: { times, values }, profit_factor: sum(wins) / Math.abs(sum(losses) || 1), avg_win: sum(wins) / (wins.length || 1), avg_loss: sum(losses) / (losses.length || 1),
    by_asset: SYMBOLS.map((s) => { const a = ts.filter((t) => t.symbol === s.symbol); const w = a.filter((t) => t.pnl > 0), l = a.filter((t) => t.pnl <= 0);
      return { symbol: s.symbol, trades: a.length, win_rate: winRate(a), pnl: sum(a), profit_factor: sum(w) / Math.abs(sum(l) || 1), annualised_return: sum(a) / world.capital / 1.7, days_per_year: s.symbol === 'XAUUSD' ? 252 : 365 }; }),
    best: sorted.slice(0, 5).map(pub), worst: sorted.slice(-5).reverse().map(pub), monthly, distribution: { edges, counts },
  };
}

function preview(b) {
  const price = mark(b.symbol);
  const e = equity();
  const want = Number(b.amount);
  const cap = (state.limits.max_position * e) / price;
  const reduced = want > cap ? [{ rule: 'max_position', reason: `reduced to ${cap.toFixed(6)} (max_position ${state.limits.max_position} of equity)` }] : [];
  const finalQty = Math.min(want, cap);
  const heatNow = risk().heat;
  const blocked = state.mode === 'HALTED' ? { rule: 'halted', reason: 'trading is halted' } : null;
  return { as_of: now(), verdict: blocked ? 'deny' : reduced.length ? 'reduce' : 'approve', requested_qty: want, final_qty: blocked ? 0 : finalQty, unit: SYMBOLS.find((s) => s.symbol === b.symbol).unit,
    price, notional: finalQty * price, heat_before: heatNow, heat_after: heatNow + (finalQty * price) / e, correlated_exposure: (finalQty * price) / e,
    rule: reduced[0]?.rule ?? blocked?.rule ?? 'none', reason: reduced[0]?.reason ?? blocked?.reason ?? 'within every limit', reduced_by: reduced, blocked_by: blocked, below_min_qty: false };
}

class Bad extends Error {
  constructor(status, error, field, value) { super(error); this.status = status; this.field = field; this.value = value; }
}

function need(b, field, type) {
  const v = b[field];
  if (v === undefined) throw new Bad(400, `field '${field}' is missing`, field, null);
  if (typeof v !== type) throw new Bad(400, `field '${field}' must be ${type}, got ${JSON.stringify(v)}`, field, v);
  return v;
}

function audit(command, args, outcome) {
  world.audit.unshift({ time: now(), who: 'dashboard', source: 'dashboard', command, args, outcome });
}

function apply(kind, b) {
  const sym = () => {
    const s = need(b, 'symbol', 'string');
    if (!world.candles[s]) throw new Bad(400, `unknown symbol '${s}'`, 'symbol', s);
    return s;
  };
  switch (kind) {
    case 'emergency_stop': {
      const reason = need(b, 'reason', 'string');
      for (const p of state.positions) {
        const pnl = unreal(p);
        world.trades.push({ id: nextTrade++, symbol: p.symbol, side: p.side, qty: p.qty, unit: p.unit, entry_time: p.entry_time, entry_price: p.entry_price, exit_time: now(), exit_price: mark(p.symbol), pnl, pnl_pct: pnl / (p.qty * p.entry_price), fees: 0, hold_ms: now() - p.entry_time, reason: `emergency stop: ${reason}`, stop: p.entry_price });
      }
      state.positions = [];
      state.mode = 'HALTED';
      state.halt = { cause: 'emergency_stop', reason, since: now() };
      return 'EMERGENCY STOP: all positions closed; trading HALTED until acknowledged';
    }
    case 'acknowledge_stop':
      if (state.mode !== 'HALTED') throw new Bad(409, 'not halted');
      state.mode = 'ACTIVE'; state.halt = null;
      return 'Emergency stop acknowledged; trading ACTIVE';
    case 'pause': {
      const d = need(b, 'duration_ms', 'number');
      if (!(d > 0)) throw new Bad(400, `field 'duration_ms' must be positive, got ${d}`, 'duration_ms', d);
      state.mode = 'PAUSED'; state.halt = { cause: 'manual', reason: b.reason ?? '', since: now(), until: now() + d };
      return `Paused until ${new Date(now() + d).toISOString()}`;
    }
    case 'resume':
      state.mode = 'ACTIVE'; state.halt = null;
      return 'Resumed';
    case 'trade': {
      const s = sym();
      const side = need(b, 'side', 'string');
      if (!['long', 'short', 'close'].includes(side)) throw new Bad(400, `field 'side' must be long, short or close, got '${side}'`, 'side', side);
      const amount = need(b, 'amount', 'number');
      if (side !== 'close' && !(amount > 0)) throw new Bad(400, `field 'amount' must be positive, got ${amount}`, 'amount', amount);
      if (!String(b.reason ?? '').trim()) throw new Bad(400, "field 'reason' is required (it goes into the audit log)", 'reason', b.reason ?? '');
      if (state.mode === 'HALTED') throw new Bad(409, 'trading is halted');
      const v = preview({ symbol: s, amount });
      const price = mark(s);
      const unit = SYMBOLS.find((x) => x.symbol === s).unit;
      // A fill: opened and (paper fixture) closed at once at the mark, so it shows in the log.
      world.trades.push({ id: nextTrade, symbol: s, side: side === 'close' ? 'long' : side, qty: v.final_qty, unit, entry_time: now(), entry_price: price, exit_time: now(), exit_price: price, pnl: -v.final_qty * price * 0.001, pnl_pct: -0.001, fees: v.final_qty * price * 0.001, hold_ms: 0, reason: `manual: ${b.reason}`, stop: price });
      return `Trade #${nextTrade++} filled: ${side} ${v.final_qty.toFixed(6)} ${unit} ${s} at ${price.toFixed(2)}`;
    }
    case 'risk_set': {
      const ch = b.changes;
      if (!ch || typeof ch !== 'object') throw new Bad(400, "field 'changes' must be an object", 'changes', ch ?? null);
      const next = { ...state.limits };
      for (const [k, v] of Object.entries(ch)) {
        if (!(k in next)) throw new Bad(400, `unknown limit '${k}'`, `changes.${k}`, v);
        next[k] = k === 'cooldown' ? String(v) : Number(v);
        if (k !== 'cooldown' && !Number.isFinite(next[k])) throw new Bad(400, `changes.${k} must be a number, got '${v}'`, `changes.${k}`, v);
      }
      const text = Object.entries(ch).map(([k, v]) => `${k}: ${state.limits[k]} -> ${v}`).join(', ');
      state.limits = next;
      return `risk limits changed: ${text}`;
    }
    case 'signal_approve':
    case 'signal_reject': {
      const id = need(b, 'id', 'number');
      const s = world.signals.find((x) => x.id === id && x.status === 'pending');
      if (!s) throw new Bad(400, `no pending signal ${id}`, 'id', id);
      s.status = kind === 'signal_approve' ? 'approved' : 'rejected';
      return `signal ${id} ${s.status}`;
    }
    default:
      throw new Bad(400, `unknown command '${kind}'`, 'kind', kind);
  }
}

function cookieOf(req) {
  const m = /(?:^|;\s*)aurum_session=([^;]+)/.exec(req.headers.cookie ?? '');
  return m && sessions.has(m[1]) ? m[1] : null;
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store',
    'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  res.end(text);
}

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

function serveStatic(req, res, pathname) {
  const rel = pathname === '/' ? 'index.html' : pathname.slice(1);
  const file = path.resolve(DIST, rel);
  if (!file.startsWith(DIST + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return send(res, 404, { error: `no such page ${pathname}` });
  res.writeHead(200, { 'Content-Security-Policy': CSP, 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream', 'X-Content-Type-Options': 'nosniff' });
  fs.createReadStream(file).pipe(res);
}

const sse = new Set();

async function body(req) {
  let data = '';
  for await (const chunk of req) data += chunk;
  if (!data) return {};
  try { return JSON.parse(data); } catch { throw new Bad(400, 'body is not JSON', 'body', data.slice(0, 80)); }
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const p = url.pathname;
  try {
    if (p === '/login') {
      if (url.searchParams.get('token') !== TOKEN || tokenUsed) return send(res, 401, { error: 'invalid or used login token' });
      tokenUsed = true;
      const sid = crypto.randomBytes(16).toString('hex');
      sessions.set(sid, crypto.randomBytes(16).toString('hex'));
      res.writeHead(303, { Location: '/', 'Set-Cookie': `aurum_session=${sid}; HttpOnly; SameSite=Strict; Path=/`, 'Content-Security-Policy': CSP });
      return res.end();
    }
    if (!p.startsWith('/api/')) return serveStatic(req, res, p);
    const sid = cookieOf(req);
    if (!sid) return send(res, 401, { error: 'no valid session: open the login URL' });
    if (req.method === 'POST') {
      if (req.headers['x-csrf-token'] !== sessions.get(sid)) return send(res, 403, { error: 'missing or wrong X-CSRF-Token' });
      if (READ_ONLY) return send(res, 409, { error: 'daemon not running: controls are disabled' });
      const b = await body(req);
      if (p === '/api/orders/preview') {
        const s = need(b, 'symbol', 'string');
        if (!world.candles[s]) throw new Bad(400, `unknown symbol '${s}'`, 'symbol', s);
        need(b, 'amount', 'number');
        return send(res, 200, preview(b));
      }
      const m = /^\/api\/commands\/([a-z_]+)$/.exec(p);
      if (!m) return send(res, 404, { error: `no such endpoint ${p}` });
      try {
        const message = apply(m[1], b);
        audit(m[1], b, message);
        for (const c of sse) c.write(`event: state\ndata: ${JSON.stringify({ state: state.mode })}\n\n`);
        return send(res, 200, { ok: true, exit_code: 0, message });
      } catch (e) {
        if (e instanceof Bad && e.status === 409) { audit(m[1], b, `refused: ${e.message}`); return send(res, 409, { ok: false, exit_code: 1, error: e.message, message: e.message }); }
        throw e;
      }
    }
    const q = url.searchParams;
    const id = /^\/api\/trades\/(\d+)$/.exec(p);
    const routes = {
      '/api/session': () => ({ as_of: Date.now(), session_id: 'fixture-session', daemon: { running: !READ_ONLY, pid: READ_ONLY ? 0 : process.pid }, mode: READ_ONLY ? 'offline' : 'paper', read_only: READ_ONLY, read_only_reason: READ_ONLY ? 'daemon not running: controls are disabled (aurum dashboard reads the database)' : '', csrf: sessions.get(sid) }),
      '/api/overview': overview,
      '/api/equity': () => ({ as_of: now(), data_time: world.times[last] + H4, times: world.times, equity: [...world.equity.slice(0, -1), equity()], drawdown: null, benchmarks: world.bench }),
      '/api/predictions': () => ({ as_of: now(), data_time: world.times[last] + H4, latest: latestPredictions().filter((x) => !q.get('symbol') || x.symbol === q.get('symbol')),
        calibration: Array.from({ length: 8 }, (_, i) => ({ lo: 0.1 + i * 0.1, hi: 0.2 + i * 0.1, n: 20 + i * 5, hit_rate: 0.12 + i * 0.1 + (i % 2 ? 0.03 : -0.02) })),
        history: world.predictions.filter((x) => !q.get('symbol') || x.symbol === q.get('symbol')).slice(-Number(q.get('limit') || 100)).reverse() }),
      '/api/trades': () => tradesQuery(q),
      '/api/candles': () => candles(q),
      '/api/risk': risk,
      '/api/health': health,
      '/api/performance': performance,
      '/api/signals': () => ({ as_of: now(), signals: world.signals.filter((s) => q.get('status') === 'all' || s.status === 'pending') }),
      '/api/audit': () => ({ as_of: now(), entries: world.audit.slice(0, Number(q.get('limit') || 100)) }),
    };
    if (p === '/api/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'Content-Security-Policy': CSP });
      res.write(`event: heartbeat\ndata: {"as_of":${now()}}\n\n`);
      sse.add(res);
      req.on('close', () => sse.delete(res));
      return undefined;
    }
    if (id) {
      const d = decision(Number(id[1]));
      return d ? send(res, 200, d) : send(res, 404, { error: `no trade ${id[1]}` });
    }
    const r = routes[p];
    if (!r) return send(res, 404, { error: `no such endpoint ${p}` });
    const out = r();
    return out ? send(res, 200, out) : send(res, 400, { error: 'bad query', field: 'symbol', value: q.get('symbol') });
  } catch (e) {
    if (e instanceof Bad) return send(res, e.status, { error: e.message, field: e.field, value: e.value });
    return send(res, 500, { error: String(e?.stack ?? e) });
  }
});

const beat = setInterval(() => { for (const c of sse) c.write(`event: heartbeat\ndata: {"as_of":${now()}}\n\n`); }, 5000);
beat.unref();
server.listen(PORT, '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}/login?token=${TOKEN}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { for (const c of sse) c.end(); server.close(); process.exit(0); });
