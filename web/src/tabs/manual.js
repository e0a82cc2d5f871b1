// Manual trade: symbol, side, amount and reason; shows the risk manager's verdict for that exact
// order (POST /api/orders/preview, nothing placed) and then submits the `trade` command, the same
// one `aurum trade` sends.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { post, useResource } from '../api.js';
import { fmtQty, fmtPct, fmtPrice, fmtNumber, isNum } from '../format.js';
import { symbolsOf } from '../shape.js';
import { runCommand, Outcome } from '../controls.js';
import { Panel } from '../ui.js';

export function Verdict({ v }) {
  if (!v) return '';
  if (v.error) return html`<div class="verdict blocked" data-testid="verdict">${v.error}</div>`;
  const blocked = v.blocked_by;
  const kind = v.verdict ?? (blocked ? 'deny' : (v.reduced_by ?? []).length ? 'reduce' : 'approve');
  const word = { approve: 'APPROVED', reduce: 'REDUCED', deny: 'BLOCKED' }[kind] ?? String(kind).toUpperCase();
  return html`<div class=${`verdict ${kind === 'deny' ? 'blocked' : kind === 'reduce' ? 'reduced' : 'ok'}`} data-testid="verdict">
    <div><b>${word}</b>${blocked ? html` by ${blocked.rule ?? blocked}: ${blocked.reason ?? ''}` : v.reason ? html` — ${v.reason}` : ''}</div>
    <table class="tbl kv"><tbody>
      <tr><td>requested</td><td class="num">${fmtQty(v.requested_qty, v.unit)}</td></tr>
      <tr><td>final size</td><td class="num" data-testid="final-qty">${fmtQty(v.final_qty, v.unit)}</td></tr>
      ${isNum(v.price) ? html`<tr><td>price · notional</td><td class="num">${fmtPrice(v.price)} · ${fmtNumber(v.notional, 2)}</td></tr>` : ''}
      <tr><td>heat</td><td class="num">${isNum(v.heat_before) ? `${fmtPct(v.heat_before, { decimals: 1 })} → ` : ''}${fmtPct(v.heat_after, { decimals: 1 })}</td></tr>
      ${v.below_min_qty ? html`<tr><td>minimum</td><td class="why">below the venue's minimum quantity</td></tr>` : ''}
      <tr><td>correlated exposure</td><td class="num">${fmtPct(v.correlated_exposure, { decimals: 1 })}</td></tr>
      ${(v.reduced_by ?? []).map((r) => html`<tr><td>reduced by ${r.rule}</td><td class="why">${r.reason}</td></tr>`)}
    </tbody></table></div>`;
}

export function ManualTrade({ overview, readOnly }) {
  const [f, setF] = useState({ symbol: '', side: 'long', amount: '', reason: '' });
  const [verdict, setVerdict] = useState(null);
  const [out, setOut] = useState(null);
  const [busy, setBusy] = useState(false);
  const symbols = symbolsOf(overview.data);
  useEffect(() => { if (!f.symbol && symbols.length) setF((x) => ({ ...x, symbol: symbols[0] })); }, [symbols.join()]);
  const set = (k) => (e) => { setVerdict(null); setOut(null); setF({ ...f, [k]: e.target.value }); };
  const amount = Number(f.amount);
  const amountOk = f.side === 'close' ? f.amount === '' || (Number.isFinite(amount) && amount >= 0) : Number.isFinite(amount) && amount > 0;
  const ready = f.symbol && amountOk && f.reason.trim();
  const order = () => ({ symbol: f.symbol, side: f.side, amount: f.amount === '' ? 0 : amount });
  const preview = async (e) => {
    e.preventDefault();
    setBusy(true);
    try { setVerdict(await post('/api/orders/preview', order())); } catch (err) { setVerdict({ error: err.message }); }
    setBusy(false);
  };
  const submit = async () => {
    setBusy(true);
    setOut(await runCommand('trade', { ...order(), reason: f.reason.trim() }));
    setBusy(false);
  };
  return html`<div class="grid">
    <${Panel} title="Manual trade" cls="span2" testid="panel-manual">
      <form class="form" onSubmit=${preview} data-testid="manual-form">
        <label>Symbol <input name="symbol" list="symbols" value=${f.symbol} onInput=${set('symbol')} required />
          <datalist id="symbols">${symbols.map((s) => html`<option value=${s} />`)}</datalist></label>
        <label>Side <select name="side" value=${f.side} onChange=${set('side')}><option value="long">long (buy)</option><option value="short">short (sell)</option><option value="close">close position</option></select></label>
        <label>Amount (base units) <input name="amount" inputmode="decimal" value=${f.amount} onInput=${set('amount')} placeholder=${f.side === 'close' ? 'empty = all' : '0.01'} />
          ${f.amount !== '' && !amountOk ? html`<span class="field-err">must be a positive number</span>` : ''}</label>
        <label>Reason (audit log) <input name="reason" value=${f.reason} onInput=${set('reason')} required /></label>
        <div class="row-btns">
          <button type="submit" disabled=${busy || !f.symbol || !amountOk} data-testid="btn-preview">Preview risk verdict</button>
          <button type="button" class="btn-primary" disabled=${readOnly || busy || !ready || !verdict || verdict.error || verdict.blocked_by || verdict.verdict === 'deny'} onClick=${submit} data-testid="btn-submit"
            title=${readOnly ? 'read-only' : !verdict ? 'preview first' : ''}>Submit order</button>
        </div>
      </form>
      <${Outcome} out=${out} />
    </${Panel}>
    <${Panel} title="Risk manager's verdict for this order" testid="panel-verdict">
      ${verdict ? html`<${Verdict} v=${verdict} />` : html`<p class="muted">Preview shows the final size, heat after the order, correlated exposure and the limit that would reduce or block it. Nothing is placed.</p>`}
    </${Panel}>
  </div>`;
}
