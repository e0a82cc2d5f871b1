// Performance analytics: rolling Sharpe, per-asset win rate and annualised return (crypto on 365
// days, gold on its trading days), profit factor, average win/loss, best/worst trades, monthly
// returns heatmap and the distribution of trade returns.
import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import { useResource } from '../api.js';
import { fmtMoney, fmtPct, fmtRatio, fmtNumber, fmtTime, signClass } from '../format.js';
import { monthlyGrid, heatColor, distributionSeries } from '../shape.js';
import { UPlot } from '../charts.js';
import { Panel, Stat, Empty } from '../ui.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function TradeList({ rows, ccy }) {
  return html`<table class="tbl"><tbody>${(rows ?? []).length === 0 ? html`<${Empty} cols="4" />` : rows.map((t) => html`<tr>
    <td class="num"><a href=${`#/trades?id=${t.id}`}>#${t.id}</a></td><td>${t.symbol}</td><td class="num">${fmtTime(t.exit_time)}</td>
    <td class=${`num ${signClass(t.pnl)}`}>${fmtMoney(t.pnl, ccy, { signed: true })}</td></tr>`)}</tbody></table>`;
}

export function Performance({ ccy }) {
  const res = useResource('/api/performance');
  const p = res.data;
  const rs = useMemo(() => [(p?.rolling_sharpe?.times ?? []).map((t) => t / 1000), p?.rolling_sharpe?.values ?? []], [p]);
  const rsSeries = useMemo(() => [{ label: 'rolling Sharpe', stroke: '#4c8dff', value: (u, v) => fmtRatio(v) }], []);
  const dist = useMemo(() => distributionSeries(p?.distribution), [p]);
  const distSeries = useMemo(() => [{ label: 'trades', stroke: '#7f8ea3', fill: 'rgba(127,142,163,0.6)' }], []);
  const grid = useMemo(() => monthlyGrid(p?.monthly), [p]);
  return html`<div class="grid">
    <${Panel} title="Summary" res=${res} cls="span3" testid="panel-perf">
      <div class="stats">
        <${Stat} label="Profit factor" value=${fmtRatio(p?.profit_factor)} cls=${p?.profit_factor >= 1 ? 'up' : 'down'} />
        <${Stat} label="Average win" value=${fmtMoney(p?.avg_win, ccy)} cls="up" />
        <${Stat} label="Average loss" value=${fmtMoney(p?.avg_loss, ccy)} cls="down" />
        <${Stat} label="Win/loss ratio" value=${p?.avg_loss ? fmtRatio(Math.abs(p.avg_win / p.avg_loss)) : '—'} />
      </div>
    </${Panel}>
    <${Panel} title="Rolling Sharpe" res=${res} cls="span2" testid="panel-rolling">
      ${rs[0].length ? html`<${UPlot} data=${rs} series=${rsSeries} height=${200} yFmt=${(v) => fmtNumber(v, 1)} />` : html`<p class="empty">not enough history</p>`}
    </${Panel}>
    <${Panel} title="Return distribution (per trade)" res=${res} testid="panel-dist">
      ${dist[0].length ? html`<${UPlot} data=${dist} series=${distSeries} height=${200} xTime=${false} bars yFmt=${(v) => fmtNumber(v, 0)} />` : html`<p class="empty">no trades</p>`}
    </${Panel}>
    <${Panel} title="By asset" res=${res} cls="span3" testid="panel-by-asset">
      <table class="tbl"><thead><tr><th>Symbol</th><th class="r">Trades</th><th class="r">Win rate</th><th class="r">P&L</th><th class="r">Profit factor</th>
        <th class="r">Annualised</th><th class="r">Days/year</th></tr></thead>
      <tbody>${(p?.by_asset ?? []).length === 0 ? html`<${Empty} cols="7" />` : p.by_asset.map((a) => html`<tr><td>${a.symbol}</td>
        <td class="num">${fmtNumber(a.trades, 0)}</td><td class="num">${fmtPct(a.win_rate, { decimals: 1 })}</td>
        <td class=${`num ${signClass(a.pnl)}`}>${fmtMoney(a.pnl, ccy, { signed: true })}</td><td class="num">${fmtRatio(a.profit_factor)}</td>
        <td class=${`num ${signClass(a.annualised_return)}`}>${fmtPct(a.annualised_return, { signed: true })}</td><td class="num">${a.days_per_year ?? '—'}</td></tr>`)}</tbody></table>
    </${Panel}>
    <${Panel} title="Monthly returns" res=${res} cls="span2" testid="panel-monthly">
      ${grid.years.length ? html`<table class="tbl heat"><thead><tr><th>Year</th>${MONTHS.map((m) => html`<th class="r">${m}</th>`)}<th class="r">Year</th></tr></thead>
        <tbody>${grid.years.map((y) => html`<tr><th>${y}</th>${grid.cells[y].map((r) => html`<td class="num" style=${{ background: heatColor(r) }}>${r === null ? '' : fmtPct(r, { decimals: 1 })}</td>`)}
          <td class=${`num ${signClass(grid.totals[y])}`}><b>${fmtPct(grid.totals[y], { decimals: 1 })}</b></td></tr>`)}</tbody></table>` : html`<p class="empty">no full month yet</p>`}
    </${Panel}>
    <${Panel} title="Best and worst trades" res=${res} testid="panel-best">
      <h3>Best</h3><${TradeList} rows=${p?.best} ccy=${ccy} />
      <h3>Worst</h3><${TradeList} rows=${p?.worst} ccy=${ccy} />
    </${Panel}>
  </div>`;
}
