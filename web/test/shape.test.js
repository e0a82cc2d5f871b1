// Chart data shaping: what the charts and tables draw from the API payloads.
import { describe, it, expect } from 'vitest';
import {
  equitySeries, drawdownFrom, maxDrawdown, calibrationSeries, distributionSeries, monthlyGrid,
  heatColor, candleSeries, gauge, limitDiff, checkLimit, agreement,
  healthChecks, symbolsOf, overviewState,
} from '../src/shape.js';

describe('equity', () => {
  const eq = { times: [1000, 2000, 3000, 4000], equity: [100, 110, 99, 121], drawdown: null,
    benchmarks: { 'BTC/USDT': [100, 105, 95, 130], 'ETH/USDT': [100, 90] } };
  it('aligns series on seconds and drops a benchmark of the wrong length', () => {
    const s = equitySeries(eq);
    expect(s.main[0]).toEqual([1, 2, 3, 4]);
    expect(s.main[1]).toEqual([100, 110, 99, 121]);
    expect(s.benchNames).toEqual(['BTC/USDT']);
    expect(s.main).toHaveLength(3);
    for (const col of s.main) expect(col).toHaveLength(4);
  });
  it('computes the underwater curve when the server sends none, in percent', () => {
    const dd = equitySeries(eq).drawdown[1];
    expect(dd[0]).toBe(0);
    expect(dd[1]).toBe(0);
    expect(dd[2]).toBeCloseTo(-10, 10);
    expect(dd[3]).toBe(0);
  });
  it('uses the server drawdown (fractions) when given', () => {
    const dd = equitySeries({ ...eq, drawdown: [0, 0, -0.1, 0] }).drawdown[1];
    expect(dd).toEqual([0, 0, -10, 0]);
  });
  it('drawdown is never positive and max drawdown is its minimum', () => {
    const vals = [5, 7, 3, 8, 2, 9, null, 4];
    const dd = drawdownFrom(vals);
    for (const d of dd) expect(d).toBeLessThanOrEqual(0);
    expect(maxDrawdown(vals)).toBeCloseTo(2 / 8 - 1, 12);
  });
  it('nulls stay nulls (gaps, not zeros)', () => {
    expect(equitySeries({ times: [1, 2], equity: [1, null] }).main[1]).toEqual([1, null]);
  });
});

describe('calibration and distribution', () => {
  it('calibration uses bucket midpoints and skips empty buckets', () => {
    const [x, hit, diag] = calibrationSeries([{ lo: 0.5, hi: 0.6, n: 10, hit_rate: 0.58 }, { lo: 0.6, hi: 0.7, n: 0, hit_rate: null }, { lo: 0.7, hi: 0.8, n: 4, hit_rate: null }]);
    expect(x).toEqual([0.55, 0.75]);
    expect(hit).toEqual([0.58, null]);
    expect(diag).toEqual(x);
  });
  it('histogram bars at bucket centres, in percent', () => {
    const [x, y] = distributionSeries({ edges: [-0.02, 0, 0.02], counts: [3, 5] });
    expect(x).toEqual([-1, 1]);
    expect(y).toEqual([3, 5]);
  });
});

describe('monthly heatmap', () => {
  it('places months in a year grid and compounds the year', () => {
    const g = monthlyGrid([{ year: 2024, month: 1, return: 0.1 }, { year: 2024, month: 3, return: -0.1 }, { year: 2023, month: 12, return: 0.05 }, { year: 2024, month: 13, return: 1 }]);
    expect(g.years).toEqual([2023, 2024]);
    expect(g.cells[2024][0]).toBe(0.1);
    expect(g.cells[2024][1]).toBeNull();
    expect(g.cells[2024][2]).toBe(-0.1);
    expect(g.totals[2024]).toBeCloseTo(1.1 * 0.9 - 1, 12);
    expect(g.totals[2023]).toBeCloseTo(0.05, 12);
  });
  it('colours gains green and losses red, stronger for larger moves', () => {
    expect(heatColor(0.05)).toMatch(/^rgba\(38,166,91,/);
    expect(heatColor(-0.05)).toMatch(/^rgba\(229,72,77,/);
    const alpha = (c) => parseFloat(c.split(',')[3]);
    expect(alpha(heatColor(0.08))).toBeGreaterThan(alpha(heatColor(0.01)));
    expect(heatColor(null)).toBe('transparent');
  });
});

describe('candles', () => {
  const H = 3600e3;
  const c = {
    time: [0, H, 2 * H, 2 * H, 3 * H], open: [1, 2, 3, 3, 4], high: [2, 3, 4, 4, 5], low: [0.5, 1, 2, 2, 3], close: [2, 3, 4, 4, null],
    markers: [{ time: 2 * H + 1000, kind: 'exit', side: 'long', price: 4, trade_id: 0 }, { time: H + 5, kind: 'entry', side: 'long', price: 2.5, trade_id: 0 }, { time: H, kind: 'entry', side: 'short', price: 2, trade_id: 1 }],
    stops: [{ trade_id: 0, price: 1.8, from: H + 5, to: 2 * H + 1000, status: 'filled' }, { trade_id: 1, price: null, from: H }, { trade_id: null, price: 5, from: 3 * H, status: 'sent' }],
  };
  const s = candleSeries(c);
  it('bars in seconds, strictly increasing, incomplete bars dropped', () => {
    expect(s.bars.map((b) => b.time)).toEqual([0, 3600, 7200]);
  });
  it('markers snap to the bar they happened in and are sorted', () => {
    expect(s.markers.map((m) => m.time)).toEqual([3600, 3600, 7200]);
    const long = s.markers.find((m) => m.text.startsWith('entry #0'));
    expect(long.shape).toBe('arrowUp');
    expect(long.position).toBe('belowBar');
    const short = s.markers.find((m) => m.text.startsWith('entry #1'));
    expect(short.shape).toBe('arrowDown');
    const exit = s.markers.find((m) => m.text.startsWith('exit'));
    expect(exit.position).toBe('aboveBar');
    expect(exit.text).toBe('exit #0 @ 4.0000');
  });
  it('stops become segments snapped to bars; no price, no stop', () => {
    expect(s.stops).toEqual([
      { trade_id: 0, price: 1.8, from: 3600, to: 7200, status: 'filled' },
      { trade_id: null, price: 5, from: 7200, to: 7200, status: 'sent' },
    ]);
  });
});

describe('risk gauges', () => {
  it('uses pct_used, clamps the bar, levels by use', () => {
    expect(gauge({ pct_used: 40 })).toEqual({ pct: 40, width: 40, level: 'ok' });
    expect(gauge({ pct_used: 80 }).level).toBe('warn');
    expect(gauge({ pct_used: 130 })).toEqual({ pct: 130, width: 100, level: 'danger' });
    expect(gauge({ pct_used: 10, tripped: true }).level).toBe('danger');
  });
  it('derives the percentage from value and limit when missing', () => {
    expect(gauge({ value: -0.03, limit: 0.05 }).pct).toBeCloseTo(60, 10);
    expect(gauge({ value: 1, limit: 0 }).pct).toBe(0);
  });
});

describe('settings', () => {
  it('diffs only real changes (numerically equal texts are no change)', () => {
    const cur = { max_position: '0.25', loss_streak: '3', cooldown: '1d' };
    expect(limitDiff(cur, { max_position: '0.250', loss_streak: '', cooldown: '1d' })).toEqual({});
    expect(limitDiff(cur, { max_position: '0.15' })).toEqual({ max_position: { from: '0.25', to: '0.15' } });
    expect(limitDiff(cur, { cooldown: '12h' })).toEqual({ cooldown: { from: '1d', to: '12h' } });
  });
  it('checks bounds as RiskLimits::validate does', () => {
    expect(checkLimit('max_position', '0.15')).toBe('');
    expect(checkLimit('max_position', '11')).toMatch(/\[1e-6|\[0.000001/);
    expect(checkLimit('max_position', 'abc')).toMatch(/number/);
    expect(checkLimit('loss_streak', '2.5')).toMatch(/whole/);
    expect(checkLimit('correlation_window', '4')).toMatch(/\[5, 10000\]/);
    expect(checkLimit('cooldown', '12h')).toBe('');
    expect(checkLimit('cooldown', 'soon')).toMatch(/duration/);
  });
});

describe('ensemble and health', () => {
  it('agreement is the majority share', () => {
    expect(agreement([{ vote: 'up' }, { vote: 'up' }, { vote: 'down' }])).toBeCloseTo(2 / 3, 12);
    expect(agreement([])).toBeNull();
  });
  it('health checks read aurum health --json', () => {
    const rows = healthChecks({ daemon: { running: false, pid: 0 }, data_feed: { stale: true, symbols: ['BTC/USDT'], timeframe: '4h', clock: 'realtime' },
      risk: { state: 'HALTED', text: 'HALTED (emergency_stop)' }, disk: { used_pct: 91, warning: true }, recent: { errors: 2, warnings: 0 } });
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(byName.daemon.ok).toBe(false);
    expect(byName['data feed'].ok).toBe(false);
    expect(byName.risk.ok).toBe(false);
    expect(byName.disk.detail).toBe('91.0 % used');
    expect(byName['logs (24 h)'].ok).toBe(false);
    expect(healthChecks(null)).toEqual([]);
    // the server sends the feed's symbols as one comma-separated text
    expect(healthChecks({ data_feed: { symbols: 'BTC/USDT,ETH/USDT', timeframe: '4h', clock: 'replay' } })[0].detail).toContain('BTC/USDT,ETH/USDT 4h');
  });
  it('symbols of the overview', () => {
    expect(symbolsOf({ positions: [{ symbol: 'XAUUSD' }], predictions: [{ symbol: 'BTC/USDT' }, { symbol: 'XAUUSD' }] }, ['ETH/USDT'])).toEqual(['BTC/USDT', 'ETH/USDT', 'XAUUSD']);
  });
});

describe('overview state', () => {
  const ov = { state: 'ACTIVE', halt: null, equity: 100, state_text: 'ACTIVE' };
  const halted = { state: 'HALTED', cause: 'emergency_stop', reason: 'panic', since: 5, until: null, at: 2000 };
  it('lower-cases the server state and keeps every other figure', () => {
    expect(overviewState(ov, 1000, null)).toEqual({ ...ov, state: 'active' });
    expect(overviewState(null, null, null)).toBeNull();
  });
  it("a command's newer answer wins until a later fetch arrives", () => {
    const o = overviewState(ov, 1000, halted);
    expect(o.state).toBe('halted');
    expect(o.halt.cause).toBe('emergency_stop');
    expect(o.equity).toBe(100);
    // the daemon went away before any fetch: the answer alone still shows the halt
    expect(overviewState(null, null, halted).state).toBe('halted');
    // a fetch after the answer is the truth again
    expect(overviewState({ ...ov, state: 'REDUCING' }, 3000, halted).state).toBe('reducing');
    expect(overviewState(ov, 3000, { ...halted, state: 'ACTIVE' }).halt).toBeNull();
    expect(overviewState(ov, 1000, { ...halted, state: 'ACTIVE' }).halt).toBeNull();
  });
});
