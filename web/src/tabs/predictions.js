// Model predictions: per symbol direction and calibrated confidence, the features that drove it,
// each ensemble member's vote and the agreement; calibration chart and prediction history.
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { useResource } from '../api.js';
import { fmtPct, fmtTime, fmtNumber, isNum } from '../format.js';
import { calibrationSeries, agreement } from '../shape.js';
import { UPlot } from '../charts.js';
import { Panel, Empty, Dir } from '../ui.js';

function Latest({ p }) {
  const agree = isNum(p.agreement) ? p.agreement : agreement(p.members);
  const feats = p.top_features ?? [];
  const hasC = feats.some((f) => isNum(f.contribution));
  const maxC = Math.max(1e-12, ...feats.map((f) => Math.abs(f.contribution ?? 0)));
  return html`<div class="pred-card" data-testid="pred-card">
    <div class="pred-head"><b>${p.symbol}</b> <${Dir} d=${p.direction} />
      <span class="num">P(up) ${fmtPct(p.probability, { decimals: 1 })}</span>
      <span class="num">confidence ${fmtPct(p.confidence, { decimals: 0 })}</span>
      ${isNum(p.expected_value) ? html`<span class="num">EV ${fmtNumber(p.expected_value, 4)}</span>` : ''}
      <span class="muted">${p.model ?? ''} · ${fmtTime(p.time)}</span></div>
    ${p.reason ? html`<div class="why muted">${p.reason}</div>` : ''}
    <div class="cols2">
      <table class="tbl"><thead><tr><th>Top feature${p.contributions ? ` (${p.contributions})` : ''}</th><th class="r">Value</th>${hasC ? html`<th class="r">Contribution</th><th></th>` : ''}</tr></thead>
        <tbody>${feats.length === 0 ? html`<${Empty} cols="4" text="no attribution" />` : feats.map((f) => html`<tr>
          <td>${f.name}</td><td class="num">${fmtNumber(f.value, 4)}</td>${hasC ? html`<td class=${`num ${f.contribution >= 0 ? 'up' : 'down'}`}>${fmtNumber(f.contribution, 4)}</td>
          <td class="barcell"><span class=${`hbar ${f.contribution >= 0 ? 'up' : 'down'}`} style=${{ width: `${(Math.abs(f.contribution ?? 0) / maxC) * 100}%` }}></span></td>` : ''}</tr>`)}</tbody></table>
      <table class="tbl" data-testid="members"><thead><tr><th>Member</th><th class="r">P(up)</th><th>Vote</th><th class="r">Weight</th></tr></thead>
        <tbody>${(p.members ?? []).length === 0 ? html`<${Empty} cols="4" text="single model" />` : p.members.map((m) => html`<tr>
          <td>${m.model}</td><td class="num">${fmtPct(m.probability, { decimals: 1 })}</td><td><${Dir} d=${m.vote} /></td>
          <td class="num">${isNum(m.weight) ? fmtPct(m.weight, { decimals: 0 }) : ''}</td></tr>`)}
          <tr class="total"><td>agreement</td><td class="num">${fmtPct(agree, { decimals: 0 })}</td><td></td><td></td></tr></tbody></table>
    </div></div>`;
}

export function Predictions() {
  const [symbol, setSymbol] = useState('');
  const res = useResource(`/api/predictions?limit=200${symbol ? `&symbol=${encodeURIComponent(symbol)}` : ''}`);
  const d = res.data;
  const cal = useMemo(() => calibrationSeries(d?.calibration), [d]);
  const calSeries = useMemo(() => [
    { label: 'hit rate', stroke: '#4c8dff', width: 2, points: { show: true, size: 6 }, value: (u, v) => fmtPct(v, { decimals: 1 }) },
    { label: 'perfect', stroke: '#5a6474', dash: [4, 4], value: (u, v) => fmtPct(v, { decimals: 1 }) },
  ], []);
  const symbols = [...new Set((d?.latest ?? []).map((p) => p.symbol))];
  return html`<div class="grid">
    <${Panel} title="Latest prediction per symbol" res=${res} cls="span3" testid="panel-latest"
      right=${html`<select value=${symbol} onChange=${(e) => setSymbol(e.target.value)} aria-label="symbol"><option value="">all symbols</option>${symbols.map((s) => html`<option>${s}</option>`)}</select>`}>
      ${(d?.latest ?? []).length === 0 ? html`<p class="empty">no predictions yet</p>` : d.latest.map((p) => html`<${Latest} p=${p} />`)}
    </${Panel}>
    <${Panel} title="Calibration: confidence bucket vs realised hit rate" res=${res} testid="panel-calibration">
      ${cal[0].length ? html`<${UPlot} data=${cal} series=${calSeries} height=${220} xTime=${false} yFmt=${(v) => fmtPct(v, { decimals: 0 })} />` : html`<p class="empty">no resolved predictions yet</p>`}
      <table class="tbl"><thead><tr><th class="r">Bucket</th><th class="r">n</th><th class="r">Hit rate</th></tr></thead>
        <tbody>${(d?.calibration ?? []).map((b) => html`<tr><td class="num">${fmtPct(b.lo, { decimals: 0 })}–${fmtPct(b.hi, { decimals: 0 })}</td>
          <td class="num">${b.n}</td><td class="num">${fmtPct(b.hit_rate, { decimals: 1 })}</td></tr>`)}</tbody></table>
    </${Panel}>
    <${Panel} title="History" res=${res} cls="span2" testid="panel-history">
      <div class="scroll"><table class="tbl"><thead><tr><th>Time</th><th>Symbol</th><th class="r">P(up)</th><th>Outcome</th></tr></thead>
        <tbody>${(d?.history ?? []).length === 0 ? html`<${Empty} cols="4" />` : d.history.map((h) => html`<tr><td class="num">${fmtTime(h.time)}</td><td>${h.symbol}</td>
          <td class="num">${fmtPct(h.probability, { decimals: 1 })}</td>
          <td>${h.outcome === null || h.outcome === undefined ? html`<span class="muted">pending</span>` : html`<${Dir} d=${h.outcome === 1 || h.outcome === 'up' ? 'up' : h.outcome === 0 || h.outcome === 'down' ? 'down' : String(h.outcome)} />`}</td></tr>`)}</tbody></table></div>
    </${Panel}>
  </div>`;
}
