// Overview: capital and P&L, Sharpe and win rate against targets, positions, recent trades with
// their reason, latest predictions, health summary. Every panel carries its freshness stamp.
import { html } from 'htm/preact';
import { fmtMoney, fmtPct, fmtQty, fmtPrice, fmtRatio, fmtTime, fmtDuration, signClass } from '../format.js';
import { Panel, Stat, Empty, Dir } from '../ui.js';

function vsTarget(v, target, fmt) {
  if (target === undefined || target === null) return '';
  return `target ${fmt(target)} · ${v >= target ? 'met' : 'below'}`;
}

export function Overview({ overview: res, ccy }) {
  const o = res.data;
  if (!o) return html`<${Panel} title="Overview" res=${res} />`;
  const pnl = o.pnl ?? {};
  const t = o.targets ?? {};
  return html`<div class="grid">
    <${Panel} title="Account" res=${res} cls="span2" testid="panel-account">
      <div class="stats">
        <${Stat} label="Equity" value=${fmtMoney(o.equity, ccy)} testid="equity" sub=${`capital ${fmtMoney(o.capital, ccy)}`} />
        <${Stat} label="Cash" value=${fmtMoney(o.cash, ccy)} />
        <${Stat} label="Trades" value=${o.trades ?? '—'} testid="trade-count" sub=${o.strategy ? `strategy ${o.strategy}` : ''} />
        <${Stat} label="Total P&L" value=${fmtMoney(pnl.total, ccy, { signed: true })} cls=${signClass(pnl.total)} testid="pnl-total" />
        <${Stat} label="Realized" value=${fmtMoney(pnl.realized, ccy, { signed: true })} cls=${signClass(pnl.realized)} />
        <${Stat} label="Unrealized" value=${fmtMoney(pnl.unrealized, ccy, { signed: true })} cls=${signClass(pnl.unrealized)} />
        <${Stat} label="Today" value=${fmtMoney(pnl.today, ccy, { signed: true })} cls=${signClass(pnl.today)} />
        <${Stat} label="This week" value=${fmtMoney(pnl.week, ccy, { signed: true })} cls=${signClass(pnl.week)} />
        <${Stat} label="Sharpe" value=${fmtRatio(o.sharpe)} cls=${o.sharpe >= (t.sharpe ?? Infinity) ? 'up' : ''} sub=${vsTarget(o.sharpe, t.sharpe, fmtRatio)} testid="sharpe" />
        <${Stat} label="Win rate" value=${fmtPct(o.win_rate, { decimals: 1 })} cls=${o.win_rate >= (t.win_rate ?? Infinity) ? 'up' : ''} sub=${vsTarget(o.win_rate, t.win_rate, (x) => fmtPct(x, { decimals: 0 }))} testid="win-rate" />
      </div>
    </${Panel}>
    <${Panel} title="Health" res=${res} testid="panel-health">
      <div class=${`health-sum ${o.health?.ok ? 'ok' : 'bad'}`}>${o.health?.ok ? 'all checks pass' : `${o.health?.failed?.length ?? '?'} check(s) failing`}</div>
      <ul class="failed">${(o.health?.failed ?? []).map((f) => html`<li>${typeof f === 'string' ? f : `${f.name}: ${f.detail ?? f.message ?? ''}`}</li>`)}</ul>
      <div class="sub">session ${o.session_id ?? '—'} · ${o.clock ?? ''} clock</div>
      <div class="sub">${o.state_text ?? o.state}</div>
    </${Panel}>
    <${Panel} title="Positions" res=${res} cls="span2" testid="panel-positions">
      <table class="tbl"><thead><tr><th>Symbol</th><th>Side</th><th class="r">Qty</th><th class="r">Entry</th><th class="r">Mark</th>
        <th class="r">Unrealized</th><th class="r">% equity</th><th class="r">Confidence</th></tr></thead>
      <tbody>${(o.positions ?? []).length === 0 ? html`<${Empty} cols="8" text="flat: no open positions" />` : o.positions.map((p) => html`<tr>
        <td>${p.symbol}</td><td><${Dir} d=${p.side} /></td><td class="num">${fmtQty(p.qty, p.unit)}</td><td class="num">${fmtPrice(p.entry_price)}</td>
        <td class="num">${fmtPrice(p.mark_price)}</td><td class=${`num ${signClass(p.unrealized)}`}>${fmtMoney(p.unrealized, ccy, { signed: true })}</td>
        <td class="num">${fmtPct(p.pct_equity, { decimals: 1 })}</td><td class="num">${fmtPct(p.confidence, { decimals: 0 })}</td></tr>`)}</tbody></table>
    </${Panel}>
    <${Panel} title="Latest predictions" res=${res} testid="panel-predictions">
      <table class="tbl"><thead><tr><th>Symbol</th><th>Dir</th><th class="r">P(up)</th><th class="r">Conf.</th><th class="r">Time</th></tr></thead>
      <tbody>${(o.predictions ?? []).length === 0 ? html`<${Empty} cols="5" />` : o.predictions.map((p) => html`<tr>
        <td>${p.symbol}</td><td><${Dir} d=${p.direction} /></td><td class="num">${fmtPct(p.probability, { decimals: 1 })}</td>
        <td class="num">${fmtPct(p.confidence, { decimals: 0 })}</td><td class="num">${fmtTime(p.time)}</td></tr>`)}</tbody></table>
    </${Panel}>
    <${Panel} title="Recent trades" res=${res} cls="span3" testid="panel-recent">
      <table class="tbl"><thead><tr><th>#</th><th>Symbol</th><th>Side</th><th class="r">Qty</th><th class="r">Entry</th><th class="r">Exit</th>
        <th class="r">P&L</th><th class="r">Hold</th><th>Closed</th><th>Why</th></tr></thead>
      <tbody>${(o.recent_trades ?? []).length === 0 ? html`<${Empty} cols="10" text="no trades yet" />` : o.recent_trades.map((tr) => html`<tr>
        <td class="num"><a href=${`#/trades?id=${tr.id}`}>${tr.id}</a></td><td>${tr.symbol}</td><td><${Dir} d=${tr.side} /></td>
        <td class="num">${fmtQty(tr.qty, tr.unit)}</td><td class="num">${fmtPrice(tr.entry_price)}</td><td class="num">${fmtPrice(tr.exit_price)}</td>
        <td class=${`num ${signClass(tr.pnl)}`}>${fmtMoney(tr.pnl, ccy, { signed: true })}</td><td class="num">${fmtDuration(tr.hold_ms)}</td>
        <td class="num">${fmtTime(tr.exit_time ?? tr.entry_time)}</td><td class="why">${tr.why ?? tr.reason ?? ''}</td></tr>`)}</tbody></table>
    </${Panel}>
  </div>`;
}
