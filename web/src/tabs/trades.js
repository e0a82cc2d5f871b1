// Trade log: every trade, filterable by date, symbol and outcome, sortable by any column; a row
// opens its decision record (prediction, features, sizing arithmetic, risk adjustments, entry and
// exit, P&L, hold time) and a candlestick chart with entry/exit markers and stop lines.
import { html } from 'htm/preact';
import { useMemo, useState, useEffect, useRef } from 'preact/hooks';
import { useResource } from '../api.js';
import { fmtMoney, fmtPct, fmtQty, fmtPrice, fmtTime, fmtDuration, fmtNumber, signClass } from '../format.js';
import { candleSeries, symbolsOf } from '../shape.js';
import { CandleChart } from '../charts.js';
import { Panel, Empty, Dir } from '../ui.js';

const PAGE = 100;
// Columns the server sorts by (docs/dashboard-api.md); the others are not clickable.
const SORTABLE = new Set(['entry_time', 'exit_time', 'pnl', 'pnl_pct', 'symbol', 'hold_ms', 'qty']);
const COLS = [
  ['id', '#', 'num'], ['symbol', 'Symbol', ''], ['side', 'Side', ''], ['qty', 'Qty', 'num'],
  ['entry_time', 'Entry time', 'num'], ['entry_price', 'Entry', 'num'], ['exit_time', 'Exit time', 'num'],
  ['exit_price', 'Exit', 'num'], ['pnl', 'P&L', 'num'], ['pnl_pct', 'P&L %', 'num'], ['fees', 'Fees', 'num'],
  ['hold_ms', 'Hold', 'num'], ['reason', 'Why', ''],
];

function dayMs(text, end) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const t = Date.parse(`${text}T00:00:00Z`);
  return end ? t + 86400000 - 1 : t;
}

function idFromHash() {
  const m = /[?&]id=(\d+)/.exec(location.hash);
  return m ? Number(m[1]) : null;
}

export function tradeQuery(f, sort, order, offset) {
  const q = new URLSearchParams();
  if (f.symbol) q.set('symbol', f.symbol);
  if (f.outcome) q.set('outcome', f.outcome);
  const from = dayMs(f.from, false), to = dayMs(f.to, true);
  if (from !== null) q.set('from', String(from));
  if (to !== null) q.set('to', String(to));
  q.set('sort', sort);
  q.set('order', order);
  q.set('limit', String(PAGE));
  q.set('offset', String(offset));
  return `/api/trades?${q}`;
}

export function Trades({ ccy, overview }) {
  const [f, setF] = useState({ symbol: '', outcome: '', from: '', to: '' });
  const [sort, setSort] = useState('exit_time');
  const [order, setOrder] = useState('desc');
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState(idFromHash());
  useEffect(() => {
    const h = () => setOpen(idFromHash());
    window.addEventListener('hashchange', h);
    return () => window.removeEventListener('hashchange', h);
  }, []);
  const res = useResource(tradeQuery(f, sort, order, offset));
  const d = res.data;
  const symbols = symbolsOf(overview.data, (d?.trades ?? []).map((t) => t.symbol).concat(f.symbol ? [f.symbol] : []));
  const set = (k) => (e) => { setOffset(0); setF({ ...f, [k]: e.target.value }); };
  const by = (k) => () => {
    if (!SORTABLE.has(k)) return;
    if (k === sort) setOrder(order === 'asc' ? 'desc' : 'asc');
    else { setSort(k); setOrder('desc'); }
    setOffset(0);
  };
  const total = d?.total ?? 0;
  return html`<div class="grid">
    <${Panel} title=${`Trades (${fmtNumber(total, 0)})`} res=${res} cls="span3" testid="panel-trades">
      <form class="filters" onSubmit=${(e) => e.preventDefault()}>
        <label>Symbol <select name="symbol" value=${f.symbol} onChange=${set('symbol')}><option value="">all</option>
          ${symbols.map((s) => html`<option>${s}</option>`)}</select></label>
        <label>Outcome <select name="outcome" value=${f.outcome} onChange=${set('outcome')}><option value="">all</option><option value="win">wins</option><option value="loss">losses</option></select></label>
        <label>From <input name="from" type="date" value=${f.from} onChange=${set('from')} /></label>
        <label>To <input name="to" type="date" value=${f.to} onChange=${set('to')} /></label>
        <span class="pager">${fmtNumber(total ? offset + 1 : 0, 0)}–${fmtNumber(Math.min(total, offset + PAGE), 0)} of ${fmtNumber(total, 0)}
          <button type="button" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE))}>‹</button>
          <button type="button" disabled=${offset + PAGE >= total} onClick=${() => setOffset(offset + PAGE)}>›</button></span>
      </form>
      <div class="scroll tall"><table class="tbl sortable" data-testid="trade-table"><thead><tr>${COLS.map(([k, label, cls]) => html`
        <th class=${`${cls === 'num' ? 'r' : ''} ${k === sort ? 'sorted' : ''} ${SORTABLE.has(k) ? 'can-sort' : ''}`} onClick=${by(k)} data-col=${k}>${label}${k === sort ? (order === 'asc' ? ' ▲' : ' ▼') : ''}</th>`)}</tr></thead>
      <tbody>${(d?.trades ?? []).length === 0 ? html`<${Empty} cols=${COLS.length} text="no trades match" />` : d.trades.map((t) => html`
        <tr class=${`click ${open === t.id ? 'sel' : ''}`} onClick=${() => { location.hash = `#/trades?id=${t.id}`; }} data-trade=${t.id}>
          <td class="num">${t.id}</td><td>${t.symbol}</td><td><${Dir} d=${t.side} /></td><td class="num">${fmtQty(t.qty, t.unit)}</td>
          <td class="num">${fmtTime(t.entry_time)}</td><td class="num">${fmtPrice(t.entry_price)}</td><td class="num">${fmtTime(t.exit_time)}</td>
          <td class="num">${fmtPrice(t.exit_price)}</td><td class=${`num ${signClass(t.pnl)}`}>${fmtMoney(t.pnl, ccy, { signed: true })}</td>
          <td class=${`num ${signClass(t.pnl_pct)}`}>${fmtPct(t.pnl_pct, { signed: true })}</td><td class="num">${fmtMoney(t.fees, ccy)}</td>
          <td class="num">${fmtDuration(t.hold_ms)}</td><td class="why">${t.reason ?? ''}</td></tr>`)}</tbody></table></div>
    </${Panel}>
    ${open !== null ? html`<${Decision} id=${open} ccy=${ccy} />` : ''}
  </div>`;
}

function Decision({ id, ccy }) {
  const box = useRef(null);
  useEffect(() => box.current?.scrollIntoView({ block: 'start', behavior: 'auto' }), [id]);
  const res = useResource(`/api/trades/${id}`);
  const r = res.data;
  const t = r?.trade;
  const hold = r?.hold_ms ?? t?.hold_ms ?? 0;
  const pad = Math.max(hold, 2 * 86400000);
  const candlePath = t ? `/api/candles?symbol=${encodeURIComponent(t.symbol)}&from=${t.entry_time - 2 * pad}&to=${(t.exit_time ?? t.entry_time) + pad}` : null;
  const candles = useResource(candlePath);
  const shaped = useMemo(() => (candles.data ? candleSeries(candles.data) : null), [candles.data]);
  const myStops = (shaped?.stops ?? []).filter((s) => s.trade_id === id);
  const p = r?.prediction;
  const sz = r?.sizing;
  return html`<div class="span3 decision" ref=${box}>
    <${Panel} title=${`Decision record · trade #${id}${t ? ` · ${t.symbol} ${t.side}` : ''}`} res=${res} cls="span3 decision" testid="panel-decision"
      right=${html`<a href="#/trades" class="close" title="close">✕</a>`}>
      ${t ? html`<div class="stats">
        <div class="stat"><div class="label">Entry</div><div class="value num">${fmtPrice(t.entry_price)}</div><div class="sub">${fmtTime(t.entry_time)}</div></div>
        <div class="stat"><div class="label">Exit</div><div class="value num">${fmtPrice(t.exit_price)}</div><div class="sub">${fmtTime(t.exit_time)}</div></div>
        <div class="stat"><div class="label">Qty</div><div class="value num">${fmtQty(t.qty, t.unit)}</div></div>
        <div class="stat"><div class="label">P&L</div><div class=${`value num ${signClass(r.pnl ?? t.pnl)}`}>${fmtMoney(r.pnl ?? t.pnl, ccy, { signed: true })}</div><div class="sub">${fmtPct(t.pnl_pct, { signed: true })} · fees ${fmtMoney(t.fees, ccy)}</div></div>
        <div class="stat"><div class="label">Hold</div><div class="value num">${fmtDuration(hold)}</div></div>
        <div class="stat wide"><div class="label">Why</div><div class="value">${t.reason ?? '—'}</div></div>
      </div>` : ''}
      <div class="cols3">
        <div><h3>Prediction</h3>${p?.kind === 'rl' ? html`<table class="tbl kv" data-testid="rl-decision"><tbody>
            <tr><td>RL agent</td><td>${p.model ?? '—'} (${p.agent ?? 'tactical'})</td></tr>
            <tr><td>target</td><td class="num">${fmtPct(p.target, { decimals: 1 })} (level ${p.level})</td></tr>
            ${p.allocation !== undefined ? html`<tr><td>allocation</td><td class="num">${fmtPct(p.allocation, { decimals: 1 })}</td></tr>` : ''}
            <tr><td>regime</td><td>${p.regime ?? '—'}</td></tr>
            <tr><td colspan="2">${p.reason ?? ''}</td></tr>
          </tbody></table>` : p ? html`<table class="tbl kv"><tbody>
            <tr><td>model</td><td>${p.model ?? '—'}</td></tr><tr><td>direction</td><td><${Dir} d=${p.direction} /></td></tr>
            <tr><td>P(up)</td><td class="num">${fmtPct(p.probability, { decimals: 1 })}</td></tr>
            <tr><td>confidence</td><td class="num">${fmtPct(p.confidence, { decimals: 0 })}</td></tr>
            ${(p.members ?? []).map((m) => html`<tr><td>· ${m.model}</td><td class="num">${fmtPct(m.probability, { decimals: 1 })} <${Dir} d=${m.vote} /></td></tr>`)}
          </tbody></table>` : html`<p class="muted">no model prediction (manual or rule-based trade)</p>`}
          <h3>Features</h3><table class="tbl"><tbody>${(r?.features ?? []).length === 0 ? html`<${Empty} cols="3" text="none recorded" />` : r.features.map((x) => html`<tr>
            <td>${x.name}</td><td class="num">${fmtNumber(x.value, 4)}</td><td class="num">${x.contribution !== undefined ? fmtNumber(x.contribution, 4) : ''}</td></tr>`)}</tbody></table></div>
        <div><h3>Sizing</h3>${sz ? html`<table class="tbl kv"><tbody>
            <tr><td>equity</td><td class="num">${fmtMoney(sz.equity, ccy)}</td></tr><tr><td>fraction</td><td class="num">${fmtPct(sz.fraction)}</td></tr>
            <tr><td>price</td><td class="num">${fmtPrice(sz.price)}</td></tr><tr><td>requested</td><td class="num">${fmtQty(sz.requested_qty, t?.unit)}</td></tr>
            <tr><td>final</td><td class="num">${fmtQty(sz.final_qty ?? t?.qty, sz.unit ?? t?.unit)}</td></tr>
          </tbody></table><pre class="arith" data-testid="sizing">${sz.arithmetic ?? ''}</pre>` : html`<p class="muted">not recorded</p>`}
          ${(r?.orders ?? []).length ? html`<h3>Orders</h3><table class="tbl"><thead><tr><th>Side</th><th>Type</th><th class="r">Qty</th><th class="r">Filled</th><th class="r">Avg</th><th>Source</th><th>Status</th></tr></thead>
            <tbody>${r.orders.map((o) => html`<tr><td>${o.side}</td><td>${o.type === 'stop' || o.type === 'stop_limit' ? html`${o.type === 'stop' ? 'stop' : 'stop-limit'} <span class="num">${fmtPrice(o.stop_price)}</span>` : (o.type ?? '')}</td><td class="num">${fmtQty(o.qty)}</td><td class="num">${fmtQty(o.filled_qty)}</td>
              <td class="num">${fmtPrice(o.avg_price)}</td><td>${o.source}</td><td title=${o.note ?? ''}>${o.status}</td></tr>`)}</tbody></table>` : ''}</div>
        <div><h3>Risk adjustments</h3><table class="tbl"><thead><tr><th>Rule</th><th class="r">Requested</th><th class="r">Final</th><th>Reason</th></tr></thead>
          <tbody>${(r?.risk ?? []).length === 0 ? html`<${Empty} cols="4" text="approved as sized: no limit applied" />` : r.risk.map((a) => html`<tr>
            <td>${a.rule}${a.verdict ? html` <span class=${`pill ${a.verdict === 'approve' ? 'up' : a.verdict === 'deny' ? 'down' : 'flat'}`}>${a.verdict}</span>` : ''}</td><td class="num">${fmtQty(a.requested, t?.unit)}</td><td class="num">${fmtQty(a.final, t?.unit)}</td><td class="why">${a.reason}</td></tr>`)}</tbody></table></div>
      </div>
      <h3>${t?.symbol ?? ''} candles with entry/exit and stop</h3>
      ${shaped && shaped.bars.length ? html`<${CandleChart} shaped=${shaped} />` : html`<p class="muted">${candles.error ? candles.error.message : 'loading candles…'}</p>`}
      ${myStops.length ? html`<p class="muted" data-testid="trade-stops">Protective stop${myStops.length > 1 ? 's' : ''}: ${myStops.map((s, k) => html`${k ? ' → ' : ''}<span class="num">${fmtPrice(s.price)}</span> from ${fmtTime(s.from * 1000)} (${s.status})`)}</p>` : ''}
    </${Panel}></div>`;
}
