// System health: uptime, checks (daemon, database, data feed, model, risk, disk, logs), data
// freshness per symbol, models, database size, scheduled jobs and the log tail.
import { html } from 'htm/preact';
import { useResource } from '../api.js';
import { fmtDuration, fmtTime, fmtBytes } from '../format.js';
import { healthChecks } from '../shape.js';
import { Panel, Stat, Empty } from '../ui.js';

function modelName(m) {
  const inner = m.model && typeof m.model === 'object' ? m.model : null;
  return inner?.name ?? m.name ?? (typeof m.model === 'string' ? m.model : null) ?? 'no model';
}

export function Health() {
  const res = useResource('/api/health');
  const h = res.data;
  const checks = healthChecks(h);
  const failures = h?.failures ?? [];
  const uptime = h?.uptime_s !== undefined ? h.uptime_s * 1000 : h?.daemon?.uptime_ms;
  return html`<div class="grid">
    <${Panel} title="System" res=${res} testid="panel-system">
      <div class="stats">
        <${Stat} label="Status" value=${h ? (failures.length ? 'FAILING' : 'OK') : '—'} cls=${failures.length ? 'down' : 'up'} testid="health-ok" />
        <${Stat} label="Daemon uptime" value=${h?.daemon?.running ? fmtDuration(uptime) : 'down'} />
        <${Stat} label="Database" value=${fmtBytes(h?.db_bytes)} />
      </div>
      ${failures.length ? html`<ul class="failed">${failures.map((f) => html`<li>${f}</li>`)}</ul>` : ''}
      <table class="tbl"><tbody>${checks.length === 0 ? html`<${Empty} cols="2" text="no checks reported" />` : checks.map((c) => html`<tr>
        <td><span class=${`dot ${c.ok ? 'ok' : 'bad'}`}></span>${c.name}</td><td class="why">${c.detail}</td></tr>`)}</tbody></table>
      ${h?.last_trade?.time ? html`<p class="hint">last fill ${fmtTime(h.last_trade.time)} · ${h.last_trade.text}</p>` : ''}
    </${Panel}>
    <${Panel} title="Market data freshness" res=${res} cls="span2" testid="panel-data">
      <table class="tbl"><thead><tr><th>Symbol</th><th>TF</th><th class="r">Last bar</th><th class="r">Age</th><th>State</th></tr></thead>
        <tbody>${(h?.data ?? []).length === 0 ? html`<${Empty} cols="5" />` : h.data.map((d) => html`<tr><td>${d.symbol}</td><td>${d.timeframe}</td>
          <td class="num">${fmtTime(d.last_bar)}</td><td class="num">${d.age_s >= 0 ? fmtDuration(d.age_s * 1000) : '—'}</td>
          <td>${d.stale ? html`<span class="badge stale">STALE</span>` : html`<span class="badge ok">fresh</span>`}</td></tr>`)}</tbody></table>
      <h3>Exchange / API</h3>
      <table class="tbl kv"><tbody>
        <tr><td>venue</td><td>${h?.exchange?.venue ?? h?.data_feed?.clock ?? '—'}</td></tr>
        <tr><td>status</td><td>${h?.exchange?.status ?? (h?.data_feed ? (h.data_feed.stale ? 'stale feed' : 'ok') : '—')}</td></tr>
        ${h?.exchange?.rate_limit_used ? html`<tr><td>rate limit used</td><td class="num">${h.exchange.rate_limit_used}</td></tr>` : ''}
        ${(h?.model?.notices ?? []).map((n) => html`<tr><td>notice</td><td class="why">${typeof n === 'string' ? n : JSON.stringify(n)}</td></tr>`)}
      </tbody></table>
    </${Panel}>
    <${Panel} title="Models" res=${res} testid="panel-models">
      <table class="tbl"><thead><tr><th>Symbol</th><th>Model</th><th class="r">Load</th></tr></thead>
        <tbody>${(h?.models ?? []).length === 0 ? html`<${Empty} cols="3" text="no model loaded" />` : h.models.map((m) => html`<tr>
          <td>${m.symbol ?? ''}</td><td>${modelName(m)}${m.version ?? m.model?.version ? ` v${m.version ?? m.model.version}` : ''}</td>
          <td class="num">${m.load_ms ?? m.model?.load_ms ?? '—'}${(m.load_ms ?? m.model?.load_ms) !== undefined ? ' ms' : ''}</td></tr>`)}</tbody></table>
      <p class="hint">last prediction ${fmtTime(h?.model?.last_prediction?.time)} ${h?.model?.last_prediction?.symbol ?? ''}</p>
    </${Panel}>
    <${Panel} title="Scheduled jobs" res=${res} cls="span2" testid="panel-jobs">
      <table class="tbl"><thead><tr><th>Job</th><th>Schedule</th><th class="r">Last run</th><th class="r">Next run</th><th>Status</th></tr></thead>
        <tbody>${(h?.jobs ?? []).length === 0 ? html`<${Empty} cols="5" text="no jobs scheduled" />` : h.jobs.map((j) => html`<tr><td>${j.name}</td><td>${j.schedule ?? ''}</td>
          <td class="num">${fmtTime(j.last_run)}</td><td class="num">${fmtTime(j.next_run)}</td><td>${j.last_status ?? '—'}</td></tr>`)}</tbody></table>
    </${Panel}>
    <${Panel} title="Log tail" res=${res} cls="span3" testid="panel-log">
      <div class="scroll"><table class="tbl log"><tbody>${(h?.log_tail ?? []).length === 0 ? html`<${Empty} cols="3" text="no log lines today" />` : h.log_tail.slice().reverse().map((l) => html`<tr class=${`lvl-${l.level}`}>
        <td class="num">${fmtTime(l.time, { seconds: true })}</td><td>${l.level}</td><td class="why">${l.text}</td></tr>`)}</tbody></table></div>
    </${Panel}>
  </div>`;
}
