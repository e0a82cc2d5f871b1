// The controls on every page: EMERGENCY STOP (confirmation with a reason), pause (duration +
// reason), resume, and the halted banner with its acknowledgement. Each sends one typed command.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { command, noteAnswerState, refreshNow } from './api.js';
import { fmtTime, parseDuration } from './format.js';
import { Modal } from './ui.js';

// A command's effect can reach the stored state a moment after its answer (the daemon commits
// on its engine thread): refresh at once and once more shortly after.
function refreshAfterCommand() {
  refreshNow();
  setTimeout(refreshNow, 1500);
}

/** Runs a command and reports its outcome {ok, message}; refreshes every panel after. */
export async function runCommand(kind, fields) {
  try {
    const out = await command(kind, fields);
    noteAnswerState(out?.data?.trading_state);
    refreshAfterCommand();
    return { ok: out?.ok !== false, message: out?.message || 'done' };
  } catch (e) {
    refreshAfterCommand();
    return { ok: false, message: e.message + (e.field ? ` (field ${e.field})` : '') };
  }
}

/** One line telling what the last command did. */
export function Outcome({ out }) {
  if (!out) return '';
  return html`<div class=${`outcome ${out.ok ? 'ok' : 'bad'}`} data-testid="outcome" role="status">${out.message}</div>`;
}

function StopDialog({ onClose }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [out, setOut] = useState(null);
  const go = async (e) => {
    e.preventDefault();
    setBusy(true);
    const r = await runCommand('emergency_stop', { reason: reason.trim() });
    setBusy(false);
    setOut(r);
    if (r.ok) setTimeout(onClose, 900);
  };
  return html`<${Modal} title="EMERGENCY STOP" onClose=${onClose} danger>
    <form onSubmit=${go}>
      <p>Closes every position at market and halts trading until the stop is acknowledged
      (same as <code>aurum stop --emergency</code>).</p>
      <label>Reason (goes into the audit log)
        <textarea name="reason" required rows="2" value=${reason} onInput=${(e) => setReason(e.target.value)} autofocus></textarea></label>
      <div class="row-btns">
        <button type="button" onClick=${onClose}>Cancel</button>
        <button type="submit" class="btn-stop" disabled=${busy || !reason.trim()} data-testid="confirm-stop">Close all and halt</button>
      </div>
      <${Outcome} out=${out} />
    </form></${Modal}>`;
}

function PauseDialog({ onClose }) {
  const [duration, setDuration] = useState('4h');
  const [reason, setReason] = useState('');
  const [close, setClose] = useState(false);
  const [out, setOut] = useState(null);
  const ms = parseDuration(duration);
  const go = async (e) => {
    e.preventDefault();
    const r = await runCommand('pause', { duration_ms: ms, close, reason: reason.trim() });
    setOut(r);
    if (r.ok) setTimeout(onClose, 900);
  };
  return html`<${Modal} title="Pause trading" onClose=${onClose}>
    <form onSubmit=${go}>
      <label>Duration <input name="duration" value=${duration} onInput=${(e) => setDuration(e.target.value)} placeholder="30m, 4h, 1d" />
        ${ms ? '' : html`<span class="field-err">a duration such as 30m, 4h or 1d</span>`}</label>
      <label>Reason <input name="reason" value=${reason} onInput=${(e) => setReason(e.target.value)} /></label>
      <label class="check"><input type="checkbox" checked=${close} onChange=${(e) => setClose(e.target.checked)} /> close open positions</label>
      <div class="row-btns"><button type="button" onClick=${onClose}>Cancel</button>
        <button type="submit" disabled=${!ms} data-testid="confirm-pause">Pause</button></div>
      <${Outcome} out=${out} />
    </form></${Modal}>`;
}

/** The control bar: Pause, Resume, EMERGENCY STOP; disabled (with why) when read-only. */
export function Controls({ session, overview }) {
  const [dialog, setDialog] = useState(null);
  const [out, setOut] = useState(null);
  const ro = !!session.read_only;
  const why = ro ? session.read_only_reason || 'read-only' : '';
  const state = overview?.state;
  return html`<div class="controls">
    <button disabled=${ro || state === 'paused' || state === 'halted'} title=${why || 'pause new entries for a while'} onClick=${() => setDialog('pause')} data-testid="btn-pause">Pause</button>
    <button disabled=${ro || state !== 'paused'} title=${why || 'resume trading'} data-testid="btn-resume"
      onClick=${async () => setOut(await runCommand('resume', { reason: 'resumed from the dashboard' }))}>Resume</button>
    <button class="btn-stop big" disabled=${ro} title=${why || 'close everything and halt'} onClick=${() => setDialog('stop')} data-testid="btn-stop">EMERGENCY STOP</button>
    ${out && !out.ok ? html`<${Outcome} out=${out} />` : ''}
    ${dialog === 'stop' ? html`<${StopDialog} onClose=${() => setDialog(null)} />` : ''}
    ${dialog === 'pause' ? html`<${PauseDialog} onClose=${() => setDialog(null)} />` : ''}
  </div>`;
}

/** Shown on every page while the account is halted (or paused), until acknowledged. */
export function HaltBanner({ overview, readOnly }) {
  const [reason, setReason] = useState('');
  const [out, setOut] = useState(null);
  const o = overview;
  if (!o) return '';
  if (o.state === 'paused') {
    return html`<div class="banner paused" data-testid="paused-banner">${o.state_text || `PAUSED${o.halt?.until ? ` until ${fmtTime(o.halt.until)}` : ''}`}${o.halt?.reason ? ` — ${o.halt.reason}` : ''}</div>`;
  }
  const h = o.halt ?? {};
  // An emergency stop is REDUCING while its closing orders fill, then HALTED: one banner for both.
  const stopping = o.state === 'reducing' && h.cause === 'emergency_stop';
  if (o.state === 'reducing' && !stopping) return html`<div class="banner paused">${o.state_text || 'REDUCING: no new entries'}</div>`;
  if (o.state !== 'halted' && !stopping) return '';
  const breaker = h.cause === 'drawdown_breaker';
  const ack = async (e) => {
    e.preventDefault();
    setOut(breaker
      ? await runCommand('killswitch_reset', { confirm: reason.trim() })
      : await runCommand('acknowledge_stop', { reason: reason.trim() }));
  };
  return html`<div class="banner halted" data-testid="halted-banner">
    <b>${stopping ? 'EMERGENCY STOP: closing every position' : 'HALTED'}</b> ${h.cause ? `(${h.cause.replace(/_/g, ' ')})` : ''} since ${fmtTime(h.since)}${h.reason ? ` — ${h.reason}` : ''}
    <form class="inline" onSubmit=${ack}>
      <input name="ack-reason" placeholder=${breaker ? 'why it is safe to reset' : 'acknowledgement note'} value=${reason}
        onInput=${(e) => setReason(e.target.value)} disabled=${readOnly} />
      <button type="submit" disabled=${readOnly || !reason.trim()} data-testid="btn-ack">${breaker ? 'Reset kill switch' : 'Acknowledge stop'}</button>
    </form>
    <${Outcome} out=${out} />
  </div>`;
}
