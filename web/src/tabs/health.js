// System health: uptime, data freshness per symbol, exchange/API status, models, database size,
// scheduled jobs and the log tail.
import { html } from 'htm/preact';
import { useResource } from '../api.js';
import { fmtDuration, fmtTime, fmtBytes } from '../format.js';
import { Panel, Stat, Empty } from '../ui.js';

function Check({ c }) {
  const ok = c.ok ?? c.status === 'ok';
  return html`<tr><td><span class=${`dot ${ok ? 'ok' : 'bad'}`}></span>${c.name}</td><td class="why">${c.detail ?? c.message ?? ''}</td></tr>`;
}

export function Health() {
  const res = useResource('/api/health');
  const h = res.data;
  const checks = h?.checks ?? [];
  return html`<div class="grid">
    <${Panel} title="System" res=${res} testid="panel-system">
      <div class="stats">
        <${Stat} label="Status" value=${h ? (h.ok ? 'OK' : 'FAILING') : '—'} cls=${h?.ok ? 'up' : 'down'} testid="health-ok" />
        <${Stat} label="Uptime" value=${fmtDuration((h?.uptime_s ?? NaN) * 1000)} />
        <${Stat} label="Database" value=${fmtBytes(h?.db_bytes)} />
      </div>
      <table class="tbl"><tbody>${checks.length === 0 ? html`<${Empty} cols="2" text="no checks reported" />` : checks.map((c) => html`<${Check} c=${c} />`)}</tbody></table>
      ${h?.exchange ? html`<h3>Exchange / API</h3><table class="tbl kv"><tbody>${Object.entries(h.exchange).map(([k, v]) => html`<tr><td>${k}</td><td>${typeof v === 'object' ? JSON.stringify(v) : String(v)}</td></tr>`)}</tbody></table>` : ''}
    </${Panel}>
    <${Panel} title="Market data freshness" res=${res} cls="span2" testid="panel-data">
      <table class="tbl"><thead><tr><th>Symbol</th><th>TF</th><th class="r">Last bar</th><th class="r">Age</th><th>State</th></tr></thead>
        <tbody>${(h?.data ?? []).length === 0 ? html`<${Empty} cols="5" />` : h.data.map((d) => html`<tr><td>${d.symbol}</td><td>${d.timeframe}</td>
          <td class="num">${fmtTime(d.last_bar)}</td><td class="num">${fmtDuration((d.age_s ?? NaN) * 1000)}</td>
          <td>${d.stale ? html`<span class="badge stale">STALE</span>` : html`<span class="badge ok">fresh</span>`}</td></tr>`)}</tbody></table>
    </${Panel}>
    <${Panel} title="Models" res=${res} testid="panel-models">
      <table class="tbl"><thead><tr><th>Model</th><th class="r">Load</th><th class="r">Last prediction</th></tr></thead>
        <tbody>${(h?.models ?? []).length === 0 ? html`<${Empty} cols="3" text="no model loaded" />` : h.models.map((m) => html`<tr>
          <td>${m.name ?? m.model}${m.version ? ` v${m.version}` : ''}${m.symbol ? ` (${m.symbol})` : ''}</td>
          <td class="num">${m.load_ms !== undefined ? `${m.load_ms} ms` : '—'}</td><td class="num">${fmtTime(m.last_prediction)}</td></tr>`)}</tbody></table>
    </${Panel}>
    <${Panel} title="Scheduled jobs" res=${res} cls="span2" testid="panel-jobs">
      <table class="tbl"><thead><tr><th>Job</th><th class="r">Last run</th><th class="r">Next run</th><th>Status</th></tr></thead>
        <tbody>${(h?.jobs ?? []).length === 0 ? html`<${Empty} cols="4" text="no jobs scheduled" />` : h.jobs.map((j) => html`<tr><td>${j.name}</td>
          <td class="num">${fmtTime(j.last_run)}</td><td class="num">${fmtTime(j.next_run)}</td><td>${j.last_status ?? '—'}</td></tr>`)}</tbody></table>
    </${Panel}>
    <${Panel} title="Log tail (warnings and errors)" res=${res} cls="span3" testid="panel-log">
      <div class="scroll"><table class="tbl log"><tbody>${(h?.log_tail ?? []).length === 0 ? html`<${Empty} cols="3" text="no warnings or errors" />` : h.log_tail.map((l) => html`<tr class=${`lvl-${l.level}`}>
        <td class="num">${fmtTime(l.time, { seconds: true })}</td><td>${l.level}</td><td class="why">${l.text}</td></tr>`)}</tbody></table></div>
    </${Panel}>
  </div>`;
}
