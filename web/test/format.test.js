// Formatting: every figure the dashboard shows goes through these, so their edge cases are the
// page's edge cases (negative zero, missing values, units, UTC).
import { describe, it, expect } from 'vitest';
import {
  fmtNumber, fmtMoney, fmtPct, fmtQty, fmtPrice, fmtTime, fmtDate, fmtDuration, fmtBytes,
  signClass, parseDuration, freshness, fmtCountdown, STALE_AFTER_MS,
} from '../src/format.js';

describe('numbers', () => {
  it('groups thousands and fixes decimals', () => {
    expect(fmtNumber(1234567.891, 2)).toBe('1,234,567.89');
    expect(fmtNumber(-1234.5, 1)).toBe('-1,234.5');
    expect(fmtNumber(999, 0)).toBe('999');
  });
  it('never prints a negative zero', () => {
    expect(fmtNumber(-0.001, 2)).toBe('0.00');
    expect(fmtMoney(-0.004, 'USDT', { signed: true })).toBe('0.00 USDT');
  });
  it('shows a dash for missing or non-finite values', () => {
    for (const v of [null, undefined, NaN, Infinity, '12']) {
      expect(fmtNumber(v)).toBe('—');
      expect(fmtMoney(v)).toBe('—');
      expect(fmtPct(v)).toBe('—');
    }
  });
  it('money carries its currency and an explicit sign for gains', () => {
    expect(fmtMoney(10000)).toBe('10,000.00 USDT');
    expect(fmtMoney(51.194, 'USD', { signed: true })).toBe('+51.19 USD');
    expect(fmtMoney(-179.19, 'USDT', { signed: true })).toBe('-179.19 USDT');
  });
  it('percentages from fractions', () => {
    expect(fmtPct(0.0512)).toBe('5.12 %');
    expect(fmtPct(0.5, { decimals: 0 })).toBe('50 %');
    expect(fmtPct(0.031, { signed: true, decimals: 1 })).toBe('+3.1 %');
    expect(fmtPct(-0.1292)).toBe('-12.92 %');
  });
  it('quantities choose decimals by size and keep the unit', () => {
    expect(fmtQty(0.15, 'BTC')).toBe('0.1500 BTC');
    expect(fmtQty(0.000123, 'BTC')).toBe('0.000123 BTC');
    expect(fmtQty(1.5, 'ETH')).toBe('1.500 ETH');
    expect(fmtQty(1200, 'oz')).toBe('1,200 oz');
    expect(fmtQty(0)).toBe('0');
  });
  it('prices: more decimals for small prices', () => {
    expect(fmtPrice(42123.456)).toBe('42,123.46');
    expect(fmtPrice(1.23456)).toBe('1.2346');
    expect(fmtPrice(0.000123456)).toBe('0.000123');
  });
  it('bytes', () => {
    expect(fmtBytes(512)).toBe('512 B');
    expect(fmtBytes(48234496)).toBe('46.0 MB');
  });
  it('sign classes', () => {
    expect(signClass(3)).toBe('up');
    expect(signClass(-3)).toBe('down');
    expect(signClass(0)).toBe('flat');
    expect(signClass(null)).toBe('flat');
  });
});

describe('time', () => {
  it('formats epoch ms in UTC whatever the machine zone', () => {
    const t = Date.UTC(2024, 2, 1, 8, 5, 9);
    expect(fmtTime(t)).toBe('2024-03-01 08:05');
    expect(fmtTime(t, { seconds: true })).toBe('2024-03-01 08:05:09');
    expect(fmtDate(t)).toBe('2024-03-01');
    expect(fmtTime(null)).toBe('—');
  });
  it('durations show their two largest units', () => {
    expect(fmtDuration(0)).toBe('0s');
    expect(fmtDuration(59_000)).toBe('59s');
    expect(fmtDuration(3 * 86400e3 + 4 * 3600e3 + 5 * 60e3)).toBe('3d 4h');
    expect(fmtDuration(3600e3)).toBe('1h 0m');
    expect(fmtDuration(-90e3)).toBe('-1m 30s');
  });
  it('parses typed durations and rejects bad ones', () => {
    expect(parseDuration('4h')).toBe(4 * 3600e3);
    expect(parseDuration(' 30m ')).toBe(30 * 60e3);
    expect(parseDuration('1.5d')).toBe(1.5 * 86400e3);
    for (const bad of ['', '4', 'h', '-1h', '0m', '4 hours', null]) expect(parseDuration(bad)).toBeNull();
  });
  it('countdowns end in "expired"', () => {
    expect(fmtCountdown(10_000 + 250_000, 10_000)).toBe('4m 10s');
    expect(fmtCountdown(5, 10)).toBe('expired');
  });
});

describe('freshness', () => {
  const asOf = Date.UTC(2024, 0, 10);
  it('uses the server stale flag when it gives one', () => {
    expect(freshness({ as_of: asOf, data_time: asOf, stale: true }).stale).toBe(true);
    expect(freshness({ as_of: asOf, data_time: 0, stale: false }).stale).toBe(false);
  });
  it('judges by the age of the newest bar otherwise', () => {
    const f = freshness({ as_of: asOf, data_time: asOf - STALE_AFTER_MS - 1 }, { now: asOf });
    expect(f.ageMs).toBe(STALE_AFTER_MS + 1);
    expect(f.stale).toBe(true);
    expect(freshness({ as_of: asOf, data_time: asOf - 3600e3 }, { now: asOf }).stale).toBe(false);
  });
  it('a replay clock is not judged by wall-clock age', () => {
    const f = freshness({ as_of: asOf, data_time: asOf - 400 * 86400e3 }, { clock: 'replay', now: asOf });
    expect(f.ageMs).toBeNull();
    expect(f.stale).toBe(false);
  });
  it('a page that has not heard from the server for long is stale', () => {
    const f = freshness({ as_of: asOf, data_time: asOf, stale: false }, { fetchedAt: 0, now: 200_000 });
    expect(f.stale).toBe(true);
  });
});
