// Deterministic payloads shaped as docs/dashboard-api.md, for the fixture server (front-end
// development and the browser tests that run without a daemon). A small account on 4h bars of
// three symbols, seeded so every run draws the same figures.

const H4 = 4 * 3600 * 1000;
const DAY = 24 * 3600 * 1000;

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SYMBOLS = [
  { symbol: 'BTC/USDT', unit: 'BTC', start: 42000, vol: 0.012 },
  { symbol: 'ETH/USDT', unit: 'ETH', start: 2300, vol: 0.015 },
  { symbol: 'XAUUSD', unit: 'oz', start: 2050, vol: 0.004 },
];

/** Builds the whole fixture world: bars, trades, equity, predictions, signals, audit. */
export function makeWorld({ bars = 1500, seed = 7, capital = 10000 } = {}) {
  const rand = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const t0 = Date.UTC(2024, 0, 1);
  const times = Array.from({ length: bars }, (_, i) => t0 + i * H4);
  const candles = {};
  for (const s of SYMBOLS) {
    const c = { time: times, open: [], high: [], low: [], close: [], volume: [] };
    let p = s.start;
    for (let i = 0; i < bars; i++) {
      const o = p;
      p = o * Math.exp(s.vol * gauss() + 0.0001);
      const hi = Math.max(o, p) * (1 + Math.abs(gauss()) * s.vol * 0.4);
      const lo = Math.min(o, p) * (1 - Math.abs(gauss()) * s.vol * 0.4);
      c.open.push(o); c.high.push(hi); c.low.push(lo); c.close.push(p); c.volume.push(100 + rand() * 900);
    }
    candles[s.symbol] = c;
  }
  // Trades: one at a time per symbol, 3..30 bars long.
  const trades = [];
  let id = 0; // trade ids are 0-based, as the server's
  for (const s of SYMBOLS) {
    const c = candles[s.symbol];
    let i = 20;
    while (i < bars - 40) {
      i += 5 + Math.floor(rand() * 25);
      const hold = 3 + Math.floor(rand() * 27);
      const j = Math.min(bars - 1, i + hold);
      const side = rand() < 0.65 ? 'long' : 'short';
      const notional = capital * (0.08 + rand() * 0.12);
      const qty = notional / c.close[i];
      const dir = side === 'long' ? 1 : -1;
      const fees = notional * 0.002;
      const pnl = dir * (c.close[j] - c.close[i]) * qty - fees;
      trades.push({
        id: 0, symbol: s.symbol, side, qty, unit: s.unit, entry_time: times[i], entry_price: c.close[i],
        exit_time: times[j], exit_price: c.close[j], pnl, pnl_pct: pnl / notional, fees, hold_ms: times[j] - times[i],
        reason: rand() < 0.7 ? `model ${side === 'long' ? 'up' : 'down'} ${(0.55 + rand() * 0.2).toFixed(2)}; exit ${rand() < 0.5 ? 'take-profit' : 'time barrier'}` : 'stop-loss hit',
        stop: c.close[i] * (1 - dir * 0.03),
      });
      i = j;
    }
  }
  trades.sort((a, b) => a.exit_time - b.exit_time);
  for (const t of trades) t.id = id++;
  // Equity: capital plus realised P&L at each exit.
  const equity = [];
  let k = 0, eq = capital;
  for (const t of times) {
    while (k < trades.length && trades[k].exit_time <= t) eq += trades[k++].pnl;
    equity.push(eq);
  }
  const bench = (sym) => candles[sym].close.map((p) => (capital * p) / candles[sym].close[0]);
  const predictions = [];
  for (let i = bars - 300; i < bars; i++) {
    for (const s of SYMBOLS) {
      const prob = Math.min(0.95, Math.max(0.05, 0.5 + gauss() * 0.12));
      const next = candles[s.symbol].close[i + 1];
      predictions.push({ time: times[i], symbol: s.symbol, probability: prob,
        outcome: next === undefined ? null : next > candles[s.symbol].close[i] ? 1 : 0 });
    }
  }
  const signals = [];
  const audit = [];
  let auditTime = times[bars - 1] - 30 * DAY;
  for (const [command, args] of [['risk_set', { changes: { max_position: '0.2' } }], ['pause', { duration_ms: 4 * 3600000 }], ['resume', {}]]) {
    audit.push({ time: (auditTime += 3 * DAY), who: 'cli', source: 'cli', command, args, outcome: 'ok' });
  }
  return { times, candles, trades, equity, bench: { 'BTC/USDT': bench('BTC/USDT'), 'ETH/USDT': bench('ETH/USDT') }, predictions, signals, audit, capital, rand };
}

export { H4, DAY };
