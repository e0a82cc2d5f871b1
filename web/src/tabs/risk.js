// Risk monitor: portfolio heat, leverage, positions as % of equity, correlation matrix, and one
// gauge per circuit breaker with its current value, limit and % used.
import { html } from 'htm/preact';
import { useResource } from '../api.js';
import { fmtPct, fmtRatio, fmtNumber, fmtTime, isNum } from '../format.js';
import { gauge, corrColor } from '../shape.js';
import { Panel, Stat, Empty } from '../ui.js';

function fmtBreaker(name, v, unit) {
  if (!isNum(v)) return '—';
  if (unit === 'count' || /streak|count/.test(name)) return fmtNumber(v, 0);
  if (/leverage/.test(name)) return fmtRatio(v) + '×';
  return fmtPct(v, { decimals: 1 });
}

export function Gauge({ b }) {
  const g = gauge(b);
  return html`<div class=${`gauge ${g.level}`} data-testid="gauge">
    <div class="g-head"><span>${b.name.replace(/_/g, ' ').replace(':', ' · ')}</span>${b.tripped ? html`<span class="badge err">TRIPPED</span>` : ''}
      <span class="num">${fmtNumber(g.pct, 0)} % used</span></div>
    <div class="g-track"><div class="g-fill" style=${{ width: `${g.width}%` }}></div></div>
    <div class="g-foot num"><span>now ${fmtBreaker(b.name, b.value, b.unit)}</span><span>limit ${fmtBreaker(b.name, b.limit, b.unit)}</span></div>
  </div>`;
}

export function Risk() {
  const res = useResource('/api/risk');
  const r = res.data;
  const corr = r?.correlation;
  // `limits` are the texts of `aurum risk show`; numbers where they parse.
  const lim = Object.fromEntries(Object.entries(r?.limits ?? {}).map(([k, v]) => [k, Number.isFinite(Number(v)) ? Number(v) : v]));
  return html`<div class="grid">
    <${Panel} title="Exposure" res=${res} testid="panel-exposure">
      <div class="stats">
        <${Stat} label="Portfolio heat" value=${fmtPct(r?.heat, { decimals: 1 })} sub=${`limit ${fmtPct(lim.max_portfolio_heat, { decimals: 0 })}`} testid="heat" />
        <${Stat} label="Leverage" value=${isNum(r?.leverage) ? fmtRatio(r.leverage) + '×' : '—'} sub=${`limit ${fmtRatio(lim.max_leverage)}×`} />
      </div>
      <table class="tbl"><thead><tr><th>Position</th><th class="r">Notional</th><th class="r">% equity</th><th class="r">limit</th><th></th></tr></thead>
        <tbody>${(r?.positions ?? []).length === 0 ? html`<${Empty} cols="5" text="flat" />` : r.positions.map((p) => html`<tr><td>${p.symbol}</td><td class="num">${fmtNumber(p.notional, 2)}</td>
          <td class="num">${fmtPct(p.pct_equity, { decimals: 1 })}</td><td class="num">${fmtPct(lim.max_position, { decimals: 0 })}</td>
          <td class="barcell"><span class="hbar up" style=${{ width: `${Math.min(100, (p.pct_equity / (lim.max_position || 1)) * 100)}%` }}></span></td></tr>`)}</tbody></table>
    </${Panel}>
    <${Panel} title="Circuit breakers" res=${res} cls="span2" testid="panel-breakers">
      <div class="gauges">${(r?.breakers ?? []).map((b) => html`<${Gauge} b=${b} />`)}</div>
      ${(r?.cooldowns ?? []).length ? html`<h3>Cooldowns</h3><table class="tbl"><tbody>${r.cooldowns.map((c) => html`<tr>
        <td>${c.symbol ?? ''}</td><td>${c.reason ?? 'loss streak'}</td><td class="num">until ${fmtTime(c.until)}</td></tr>`)}</tbody></table>` : ''}
      ${r?.config_error ? html`<p class="error">risk.yaml: ${r.config_error}</p>` : ''}
      <h3>Recent risk decisions</h3>
      <div class="scroll"><table class="tbl"><tbody>${(r?.recent_decisions ?? []).length === 0 ? html`<${Empty} cols="5" text="none yet" />` : r.recent_decisions.map((d) => html`<tr>
        <td class="num">${fmtTime(d.time)}</td><td>${d.symbol}</td><td><span class=${`pill ${d.verdict === 'approve' ? 'up' : d.verdict === 'deny' ? 'down' : 'flat'}`}>${d.verdict}</span></td>
        <td>${d.rule}</td><td class="why">${d.reason}</td></tr>`)}</tbody></table></div>
    </${Panel}>
    <${Panel} title="Correlation of returns" res=${res} cls="span2" testid="panel-corr">
      ${corr?.symbols?.length ? html`<table class="tbl corr"><thead><tr><th></th>${corr.symbols.map((s) => html`<th class="r">${s}</th>`)}</tr></thead>
        <tbody>${corr.matrix.map((row, i) => html`<tr><th>${corr.symbols[i]}</th>${row.map((v) => html`
          <td class="num" style=${{ background: corrColor(v) }}>${fmtNumber(v, 2)}</td>`)}</tr>`)}</tbody></table>
        <p class="hint">threshold |ρ| ≥ ${fmtNumber(lim.correlation_threshold, 2)} counts positions together (max correlated exposure ${fmtPct(lim.max_correlated_exposure, { decimals: 0 })})</p>`
        : html`<p class="empty">not enough bars for correlations</p>`}
    </${Panel}>
    <${Panel} title="Limits (risk.yaml)" res=${res} testid="panel-limits">
      <table class="tbl kv"><tbody>${Object.entries(lim).map(([k, v]) => html`<tr><td>${k}</td><td class="num">${String(v)}</td></tr>`)}</tbody></table>
    </${Panel}>
  </div>`;
}
