// Number, time and freshness formatting shared by every tab. Pure functions (unit-tested):
// a trader reads numbers right-aligned with their unit, so every formatter returns the unit too.

const DASH = '—';

/** True when v is a usable finite number. */
export function isNum(v) {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Groups thousands with a thin comma and fixes the decimals: 12345.6 -> "12,345.60". */
export function fmtNumber(v, decimals = 2) {
  if (!isNum(v)) return DASH;
  const s = Math.abs(v).toFixed(decimals);
  const [int, frac] = s.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = v < 0 && Number(s) !== 0 ? '-' : '';
  return sign + grouped + (frac !== undefined ? '.' + frac : '');
}

/** Money in the account currency: "12,345.60 USDT"; `signed` adds "+" to gains. */
export function fmtMoney(v, ccy = 'USDT', { signed = false, decimals = 2 } = {}) {
  if (!isNum(v)) return DASH;
  const plus = signed && v > 0 && Number(v.toFixed(decimals)) !== 0 ? '+' : '';
  return `${plus}${fmtNumber(v, decimals)} ${ccy}`;
}

/** A fraction as a percentage: 0.0512 -> "5.12 %"; `signed` adds "+" to positives. */
export function fmtPct(fraction, { decimals = 2, signed = false } = {}) {
  if (!isNum(fraction)) return DASH;
  const p = fraction * 100;
  const plus = signed && p > 0 && Number(p.toFixed(decimals)) !== 0 ? '+' : '';
  return `${plus}${fmtNumber(p, decimals)} %`;
}

/** A quantity with its unit, decimals chosen by magnitude: 0.15 BTC, 1,200 oz. */
export function fmtQty(v, unit = '') {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  const d = a === 0 ? 0 : a >= 1000 ? 0 : a >= 1 ? 3 : a >= 0.01 ? 4 : 6;
  const s = fmtNumber(v, d);
  return unit ? `${s} ${unit}` : s;
}

/** A price: more decimals for small prices (0.000123), two for large ones. */
export function fmtPrice(v) {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  return fmtNumber(v, a >= 100 ? 2 : a >= 1 ? 4 : 6);
}

/** A plain ratio such as a Sharpe or a profit factor: 1.234 -> "1.23". */
export function fmtRatio(v, decimals = 2) {
  return isNum(v) ? fmtNumber(v, decimals) : DASH;
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

/** Epoch ms UTC -> "2024-03-01 08:00" (UTC, the system's one clock). */
export function fmtTime(ms, { seconds = false } = {}) {
  if (!isNum(ms)) return DASH;
  const d = new Date(ms);
  const s = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  return seconds ? `${s}:${pad2(d.getUTCSeconds())}` : s;
}

/** Epoch ms UTC -> "2024-03-01". */
export function fmtDate(ms) {
  return isNum(ms) ? fmtTime(ms).slice(0, 10) : DASH;
}

/** A duration in ms as its two largest units: "3d 4h", "12m 5s", "0s". */
export function fmtDuration(ms) {
  if (!isNum(ms)) return DASH;
  const neg = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const units = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
  const parts = [];
  for (const [name, size] of units) {
    const n = Math.floor(s / size);
    if (n > 0 || (parts.length > 0 && parts.length < 2)) parts.push(`${n}${name}`);
    s -= n * size;
    if (parts.length === 2) break;
  }
  const text = parts.length ? parts.join(' ') : '0s';
  return neg ? `-${text}` : text;
}

/** Bytes -> "12.3 MB". */
export function fmtBytes(n) {
  if (!isNum(n)) return DASH;
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${fmtNumber(v, i === 0 ? 0 : 1)} ${units[i]}`;
}

/** CSS class for a signed figure: gains green, losses red, zero neutral. */
export function signClass(v) {
  if (!isNum(v) || v === 0) return 'flat';
  return v > 0 ? 'up' : 'down';
}

/** Parses a duration typed by the user ("30m", "4h", "1d", "90s") into ms; null when bad. */
export function parseDuration(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(String(text ?? ''));
  if (!m) return null;
  const size = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[m[2].toLowerCase()];
  const ms = Math.round(Number(m[1]) * size);
  return ms > 0 ? ms : null;
}

// A panel is stale when its newest market bar is older than this (two 4h bars), unless the
// server says so itself with `stale`.
export const STALE_AFTER_MS = 8 * 3600 * 1000;

/**
 * Freshness of one payload: {asOf, dataTime, ageMs, stale}. The server's `stale` wins; else the
 * data is stale when its newest bar is older than STALE_AFTER_MS at `as_of` (not judged for a
 * replay clock), or when the page has not heard from the server for `maxSilenceMs` of wall time.
 */
export function freshness(payload, { fetchedAt = null, now = Date.now(), maxSilenceMs = 90_000, clock = null } = {}) {
  const asOf = isNum(payload?.as_of) ? payload.as_of : null;
  const dataTime = isNum(payload?.data_time) ? payload.data_time : null;
  // A replay's bars are old by design: their age against the wall clock means nothing.
  const ageMs = asOf !== null && dataTime && clock !== 'replay' ? Math.max(0, asOf - dataTime) : null;
  let stale = false;
  if (typeof payload?.stale === 'boolean') stale = payload.stale;
  else if (ageMs !== null) stale = ageMs > STALE_AFTER_MS;
  if (isNum(fetchedAt) && now - fetchedAt > maxSilenceMs) stale = true;
  return { asOf, dataTime, ageMs, stale };
}

/** "3 of 4 agree" style agreement text for an ensemble: fraction -> "75 %". */
export function fmtAgreement(v) {
  return isNum(v) ? fmtPct(v, { decimals: 0 }) : DASH;
}

/** Countdown text until `expires` (ms): "4m 10s" or "expired". */
export function fmtCountdown(expires, now = Date.now()) {
  if (!isNum(expires)) return DASH;
  const left = expires - now;
  return left <= 0 ? 'expired' : fmtDuration(left);
}
