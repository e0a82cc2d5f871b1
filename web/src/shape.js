// Turns API payloads into what the charts and tables draw. Pure functions (unit-tested), so the
// components stay thin and the arithmetic is checked without a browser.
import { isNum, fmtPrice } from './format.js';

const num = (v) => (isNum(v) ? v : null);

/**
 * uPlot data for the equity tab: [seconds, equity, ...benchmarks] and [seconds, drawdown %].
 * Benchmarks with a different length than `times` are dropped (never misaligned); names follow.
 */
export function equitySeries(eq) {
  const times = Array.isArray(eq?.times) ? eq.times : [];
  const xs = times.map((t) => t / 1000);
  const equity = (eq?.equity ?? []).map(num);
  const benchNames = [];
  const benchCols = [];
  for (const [name, col] of Object.entries(eq?.benchmarks ?? {})) {
    if (Array.isArray(col) && col.length === times.length) {
      benchNames.push(name);
      benchCols.push(col.map(num));
    }
  }
  const dd = Array.isArray(eq?.drawdown) && eq.drawdown.length === times.length
    ? eq.drawdown.map((d) => (isNum(d) ? d * 100 : null))
    : drawdownFrom(equity).map((d) => d * 100);
  return { main: [xs, equity, ...benchCols], benchNames, drawdown: [xs, dd] };
}

/** Drawdown from the running peak as a fraction <= 0 for each point (nulls carried as 0). */
export function drawdownFrom(values) {
  let peak = -Infinity;
  return values.map((v) => {
    if (!isNum(v)) return 0;
    peak = Math.max(peak, v);
    return peak > 0 ? v / peak - 1 : 0;
  });
}

/** Largest drawdown (most negative fraction) of a series. */
export function maxDrawdown(values) {
  return drawdownFrom(values).reduce((m, d) => Math.min(m, d), 0);
}

/** Calibration points: bucket midpoint vs realised hit rate, with the perfect diagonal. */
export function calibrationSeries(buckets) {
  const rows = (buckets ?? []).filter((b) => isNum(b.lo) && isNum(b.hi) && b.n > 0);
  const xs = rows.map((b) => (b.lo + b.hi) / 2);
  return [xs, rows.map((b) => (isNum(b.hit_rate) ? b.hit_rate : null)), xs.slice()];
}

/** Histogram bars for uPlot from {edges, counts}: x = bucket centre (in %). */
export function distributionSeries(dist) {
  const edges = dist?.edges ?? [];
  const counts = dist?.counts ?? [];
  const xs = [];
  const ys = [];
  for (let i = 0; i < counts.length && i + 1 < edges.length; i++) {
    xs.push(((edges[i] + edges[i + 1]) / 2) * 100);
    ys.push(counts[i]);
  }
  return [xs, ys];
}

/** Monthly returns as a year x month grid: {years:[...], cells:{year:[12 values|null]}}. */
export function monthlyGrid(monthly) {
  const cells = {};
  for (const m of monthly ?? []) {
    if (!isNum(m.year) || !isNum(m.month) || m.month < 1 || m.month > 12) continue;
    cells[m.year] ??= Array(12).fill(null);
    cells[m.year][m.month - 1] = num(m.return);
  }
  const years = Object.keys(cells).map(Number).sort((a, b) => a - b);
  // The year's compounded return, from the months that exist.
  const totals = {};
  for (const y of years) {
    const ms = cells[y].filter(isNum);
    totals[y] = ms.length ? ms.reduce((acc, r) => acc * (1 + r), 1) - 1 : null;
  }
  return { years, cells, totals };
}

/** Background colour for a return cell: green/red with strength by size (capped at `scale`). */
export function heatColor(r, scale = 0.1) {
  if (!isNum(r)) return 'transparent';
  const a = Math.min(1, Math.abs(r) / scale) * 0.75 + 0.08;
  return r >= 0 ? `rgba(38,166,91,${a.toFixed(2)})` : `rgba(229,72,77,${a.toFixed(2)})`;
}

/** Colour for a correlation coefficient in [-1, 1]. */
export function corrColor(rho) {
  if (!isNum(rho)) return 'transparent';
  const a = Math.min(1, Math.abs(rho)) * 0.8;
  return rho >= 0 ? `rgba(64,128,255,${a.toFixed(2)})` : `rgba(240,150,40,${a.toFixed(2)})`;
}

/**
 * lightweight-charts inputs from /api/candles: bars (seconds, sorted, deduplicated), entry/exit
 * markers snapped to bar times and sorted (the library requires both), and stop lines.
 */
export function candleSeries(c) {
  const t = c?.time ?? [];
  const bars = [];
  let last = -Infinity;
  for (let i = 0; i < t.length; i++) {
    const time = Math.floor(t[i] / 1000);
    const o = c.open?.[i], h = c.high?.[i], l = c.low?.[i], cl = c.close?.[i];
    if (!(isNum(o) && isNum(h) && isNum(l) && isNum(cl)) || time <= last) continue;
    bars.push({ time, open: o, high: h, low: l, close: cl });
    last = time;
  }
  const times = bars.map((b) => b.time);
  const snap = (ms) => {
    const s = Math.floor(ms / 1000);
    // the last bar that opened at or before the event
    let lo = 0, hi = times.length - 1, best = times.length ? times[0] : s;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] <= s) { best = times[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    return best;
  };
  const markers = (c?.markers ?? [])
    .filter((m) => isNum(m.time))
    .map((m) => {
      const entry = m.kind === 'entry';
      const long = m.side !== 'short';
      return {
        time: snap(m.time),
        position: entry === long ? 'belowBar' : 'aboveBar',
        color: entry ? '#4c8dff' : '#f0a030',
        shape: entry === long ? 'arrowUp' : 'arrowDown',
        text: `${entry ? 'entry' : 'exit'} #${m.trade_id ?? ''} @ ${fmtPrice(m.price)}`,
      };
    })
    .sort((a, b) => a.time - b.time);
  // Stop segments from the bar the stop was placed in to where it ended (snapped to bars).
  const stops = (c?.stops ?? [])
    .filter((s) => isNum(s.price) && isNum(s.from))
    .map((s) => {
      const from = snap(s.from);
      const to = Math.max(from, snap(isNum(s.to) ? s.to : s.from));
      return { trade_id: s.trade_id ?? null, price: s.price, from, to, status: s.status ?? '' };
    });
  return { bars, markers, stops };
}

/** Breaker gauge: percentage used (0..100+), and its level for colour. */
export function gauge(b) {
  const pct = isNum(b?.pct_used)
    ? b.pct_used
    : isNum(b?.value) && isNum(b?.limit) && b.limit !== 0 ? (Math.abs(b.value) / Math.abs(b.limit)) * 100 : 0;
  const level = b?.tripped || pct >= 100 ? 'danger' : pct >= 75 ? 'warn' : 'ok';
  return { pct, width: Math.max(0, Math.min(100, pct)), level };
}

/**
 * The risk_set changes between the current limits and the edited form: only keys whose value
 * differs (numerically where both are numbers), as {key: {from, to}}.
 */
export function limitDiff(current, edited) {
  const diff = {};
  for (const [k, v] of Object.entries(edited ?? {})) {
    const was = current?.[k];
    const a = String(was ?? '').trim(), b = String(v ?? '').trim();
    if (b === '') continue;
    const same = a === b || (a !== '' && Number.isFinite(Number(a)) && Number(a) === Number(b));
    if (!same) diff[k] = { from: was, to: b };
  }
  return diff;
}

/** Bounds of each risk limit (as RiskLimits::validate in src/risk/risk_limits.cpp). */
export const LIMIT_BOUNDS = {
  max_position: [1e-6, 10, 'fraction of equity in one symbol'],
  max_portfolio_heat: [1e-6, 20, 'gross notional / equity'],
  max_leverage: [1e-6, 100, 'gross notional / equity, hard ceiling'],
  daily_loss_limit: [1e-6, 1, 'loss from the day\'s start: no entries'],
  max_drawdown: [1e-6, 1, 'from peak: close all and halt'],
  loss_streak: [1, 1000, 'losing trades in a row on a symbol'],
  cooldown: [null, null, 'block after a streak (e.g. 24h)'],
  correlation_threshold: [0, 1, '|rho| counted as correlated'],
  max_correlated_exposure: [1e-6, 20, 'new + correlated notional / equity'],
  correlation_window: [5, 10000, 'bars of returns for rho'],
  min_equity: [0, 1e15, 'no new entries below this equity'],
  max_loosen_factor: [1, 1000, 'loosening more needs confirm'],
};

/** An error text for one edited limit value against its bounds, or '' when fine. */
export function checkLimit(key, value) {
  const b = LIMIT_BOUNDS[key];
  const text = String(value ?? '').trim();
  if (!b || text === '') return '';
  if (key === 'cooldown') return /^\d+(\.\d+)?\s*[smhdw]$/i.test(text) ? '' : 'a duration such as 12h or 1d';
  const v = Number(text);
  if (!Number.isFinite(v)) return `must be a number, got '${text}'`;
  const [lo, hi] = b;
  if (v < lo || v > hi) return `must be in [${lo}, ${hi}]`;
  if ((key === 'loss_streak' || key === 'correlation_window') && !Number.isInteger(v)) return 'must be a whole number';
  return '';
}

/** Every symbol the overview mentions (positions, predictions, recent trades), sorted. */
export function symbolsOf(o, extra = []) {
  const all = [...(o?.symbols ?? []), ...(o?.positions ?? []), ...(o?.predictions ?? []), ...(o?.recent_trades ?? []), ...extra]
    .map((x) => (typeof x === 'string' ? x : x?.symbol))
    .filter(Boolean);
  return [...new Set(all)].sort();
}

/**
 * The health checks of /api/health (`aurum health --json`) as rows {name, ok, detail}, in the
 * order a person scans them.
 */
export function healthChecks(h) {
  if (!h) return [];
  const rows = [];
  const d = h.daemon;
  if (d) rows.push({ name: 'daemon', ok: !!d.running, detail: d.running ? `pid ${d.pid}` : 'not running' });
  if (h.database) rows.push({ name: 'database', ok: h.database.connected !== false, detail: h.database.describe ?? '' });
  if (h.data_feed) rows.push({ name: 'data feed', ok: !h.data_feed.stale, detail: `${[].concat(h.data_feed.symbols ?? []).join(', ')} ${h.data_feed.timeframe ?? ''} · ${h.data_feed.clock ?? ''}${h.data_feed.stale ? ' · STALE' : ''}` });
  if (h.model) rows.push({ name: 'model', ok: !!h.model.loaded || !(h.model.models ?? []).length, detail: `${h.model.strategy ?? ''}${h.model.loaded ? ' · loaded' : ''}` });
  if (h.risk) rows.push({ name: 'risk', ok: h.risk.state !== 'HALTED' && !h.risk.config_error, detail: h.risk.config_error ?? h.risk.text ?? h.risk.state ?? '' });
  if (h.disk) rows.push({ name: 'disk', ok: !h.disk.warning, detail: isNum(h.disk.used_pct) ? `${h.disk.used_pct.toFixed(1)} % used` : '' });
  if (h.recent) rows.push({ name: 'logs (24 h)', ok: !(h.recent.errors > 0), detail: `${h.recent.errors ?? 0} errors, ${h.recent.warnings ?? 0} warnings` });
  return rows;
}

/** Ensemble agreement: the share of members voting with the majority direction. */
export function agreement(members) {
  const votes = (members ?? []).map((m) => m.vote).filter((v) => v !== undefined && v !== null);
  if (!votes.length) return null;
  const counts = {};
  for (const v of votes) counts[v] = (counts[v] ?? 0) + 1;
  return Math.max(...Object.values(counts)) / votes.length;
}

/**
 * The overview the page shows: the server's, with its state in lower case, unless a command's
 * answer carried a newer account state (`{state, cause, reason, since, until, at}`, `at` = when
 * the answer came). That answer wins until an overview fetched after it arrives: an emergency
 * stop ends the daemon once flat, often before the page can read /api/overview again.
 */
export function overviewState(overview, fetchedAt, answered) {
  const newer = answered && (!overview || !fetchedAt || fetchedAt < answered.at);
  if (!overview && !newer) return null;
  const o = { ...(overview ?? {}) };
  if (newer) {
    o.state = answered.state;
    o.halt = answered.state === 'ACTIVE' ? null : { ...answered };
    o.state_text = '';
  }
  o.state = String(o.state ?? '').toLowerCase();
  return o;
}
