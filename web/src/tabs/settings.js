// Settings: risk parameters with their bounds, a diff of what changes, apply (the risk_set
// command, audited like `aurum risk set`), and the audit log of past changes.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { useResource } from '../api.js';
import { fmtTime } from '../format.js';
import { limitDiff, checkLimit, LIMIT_BOUNDS } from '../shape.js';
import { runCommand, Outcome } from '../controls.js';
import { Panel, Empty } from '../ui.js';

const fmtBound = (v) => (Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(0) : String(v));

export function Settings({ readOnly }) {
  const risk = useResource('/api/risk');
  const audit = useResource('/api/audit?limit=100');
  const [edit, setEdit] = useState({});
  const [loosen, setLoosen] = useState(false);
  const [out, setOut] = useState(null);
  const limits = risk.data?.limits ?? {};
  const bounds = risk.data?.bounds ?? {};
  const diff = limitDiff(limits, edit);
  const errors = Object.fromEntries(Object.keys(diff).map((k) => [k, checkLimit(k, diff[k].to)]).filter(([, e]) => e));
  const apply = async (e) => {
    e.preventDefault();
    const changes = Object.fromEntries(Object.entries(diff).map(([k, d]) => [k, d.to]));
    const r = await runCommand('risk_set', loosen ? { changes, confirm: true } : { changes });
    setOut(r);
    if (r.ok) { setEdit({}); setLoosen(false); risk.reload(); audit.reload(); }
  };
  const keys = Object.keys(limits).length ? Object.keys(limits) : Object.keys(LIMIT_BOUNDS);
  return html`<div class="grid">
    <${Panel} title="Risk parameters" res=${risk} cls="span2" testid="panel-settings">
      <form onSubmit=${apply} data-testid="settings-form">
        <table class="tbl settings"><thead><tr><th>Parameter</th><th class="r">Current</th><th class="r">New</th><th class="r">Bounds</th><th>Meaning</th></tr></thead>
          <tbody>${keys.map((k) => {
            const b = bounds[k] ?? LIMIT_BOUNDS[k] ?? [];
            const lo = b.min ?? b[0], hi = b.max ?? b[1];
            return html`<tr class=${diff[k] ? 'changed' : ''}><td>${k}</td><td class="num">${String(limits[k] ?? '—')}</td>
              <td class="r"><input name=${k} class="num" value=${edit[k] ?? ''} placeholder=${String(limits[k] ?? '')} disabled=${readOnly}
                onInput=${(e) => setEdit({ ...edit, [k]: e.target.value })} />${errors[k] ? html`<div class="field-err">${errors[k]}</div>` : ''}</td>
              <td class="num muted">${lo === null || lo === undefined ? '' : `${fmtBound(lo)} … ${fmtBound(hi)}`}</td><td class="muted">${LIMIT_BOUNDS[k]?.[2] ?? ''}</td></tr>`;
          })}</tbody></table>
        <h3>Changes</h3>
        ${Object.keys(diff).length === 0 ? html`<p class="muted">no changes</p>` : html`<table class="tbl diff" data-testid="diff"><tbody>${Object.entries(diff).map(([k, d]) => html`
          <tr><td>${k}</td><td class="num del">${String(d.from ?? '')}</td><td>→</td><td class="num add">${d.to}</td></tr>`)}</tbody></table>`}
        <label class="check"><input type="checkbox" checked=${loosen} onChange=${(e) => setLoosen(e.target.checked)} disabled=${readOnly} /> I confirm loosening a limit beyond the loosen factor</label>
        <div class="row-btns"><button type="button" onClick=${() => setEdit({})} disabled=${!Object.keys(diff).length}>Discard</button>
          <button type="submit" class="btn-primary" disabled=${readOnly || !Object.keys(diff).length || Object.keys(errors).length} data-testid="btn-apply">Apply (risk set)</button></div>
        <${Outcome} out=${out} />
      </form>
    </${Panel}>
    <${Panel} title="Audit log" res=${audit} testid="panel-audit">
      <div class="scroll tall"><table class="tbl audit"><thead><tr><th>Time</th><th>Who</th><th>Command</th><th>Outcome</th></tr></thead>
        <tbody>${(audit.data?.entries ?? []).length === 0 ? html`<${Empty} cols="4" />` : audit.data.entries.map((a) => html`<tr>
          <td class="num">${fmtTime(a.time)}</td><td>${a.who ?? ''}${a.source && a.source !== a.who ? html`<div class="muted">${a.source}</div>` : ''}</td>
          <td>${a.command}${a.reason ? html`<div class="why">${a.reason}</div>` : ''}<div class="muted why">${typeof a.args === 'string' ? a.args : JSON.stringify(a.args ?? '')}</div></td><td class="why">${a.outcome}</td></tr>`)}</tbody></table></div>
    </${Panel}>
  </div>`;
}
