// Signals: the human-approval queue with approve/reject and an expiry countdown.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { useResource } from '../api.js';
import { fmtPct, fmtTime, fmtCountdown, fmtQty, fmtPrice } from '../format.js';
import { runCommand, Outcome } from '../controls.js';
import { Panel, Empty, Dir } from '../ui.js';

export function Signals({ readOnly }) {
  const [all, setAll] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [out, setOut] = useState(null);
  const res = useResource(`/api/signals?status=${all ? 'all' : 'pending'}`);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const rows = res.data?.signals ?? [];
  // Countdown in session time: the server's clock (as_of) plus wall time since the fetch.
  const clock = res.data?.as_of && res.fetchedAt ? res.data.as_of + (now - res.fetchedAt) : now;
  const act = (kind, id) => async () => setOut(await runCommand(kind, { id }));
  return html`<div class="grid">
    <${Panel} title="Approval queue" res=${res} cls="span3" testid="panel-signals"
      right=${html`<label class="check"><input type="checkbox" checked=${all} onChange=${(e) => setAll(e.target.checked)} /> show decided</label>`}>
      <table class="tbl"><thead><tr><th class="r">#</th><th>Symbol</th><th>Side</th><th class="r">Qty</th><th class="r">Price</th><th class="r">P(up)</th><th class="r">Created</th>
        <th class="r">Expires in</th><th>Status</th><th></th></tr></thead>
      <tbody>${rows.length === 0 ? html`<${Empty} cols="10" text="no signals waiting for approval" />` : rows.map((s) => html`<tr>
        <td class="num">${s.id}</td><td>${s.symbol}</td><td><${Dir} d=${s.side} /></td><td class="num">${fmtQty(s.quantity)}</td><td class="num">${fmtPrice(s.price)}</td><td class="num">${fmtPct(s.probability, { decimals: 1 })}</td>
        <td class="num">${fmtTime(s.created ?? s.time)}</td><td class="num">${s.status === 'pending' ? fmtCountdown(s.expires ?? s.expires_at, clock) : ''}</td><td title=${s.decision_reason ?? s.note ?? ''}>${s.status}</td>
        <td>${s.status === 'pending' ? html`<button class="btn-ok" disabled=${readOnly} onClick=${act('signal_approve', s.id)}>Approve</button>
          <button class="btn-bad" disabled=${readOnly} onClick=${act('signal_reject', s.id)}>Reject</button>` : ''}</td></tr>`)}</tbody></table>
      <${Outcome} out=${out} />
    </${Panel}>
  </div>`;
}
