// Small building blocks every tab uses: panels with a freshness stamp, stat tiles, tables.
import { html } from 'htm/preact';
import { fmtTime, fmtDuration, freshness } from './format.js';

/** The session's clock ("replay" | "realtime"), set by the shell from /api/overview. */
export const sessionClock = { clock: null };

/** "as of" stamp, data age and a STALE badge for one payload. */
export function Fresh({ res }) {
  const p = res?.data;
  if (!p) return html`<span class="fresh">${res?.error ? html`<span class="badge err">error</span>` : 'loading…'}</span>`;
  const f = freshness(p, { fetchedAt: res.fetchedAt, clock: sessionClock.clock });
  return html`<span class="fresh" data-testid="fresh" title=${`computed ${fmtTime(f.asOf, { seconds: true })} UTC (server clock); newest bar it reads ${fmtTime(f.dataTime)} UTC`}>
    as of ${fmtTime(f.asOf, { seconds: true }).slice(11)}${f.dataTime ? html` · bar ${fmtTime(f.dataTime)}` : ''}${f.ageMs !== null ? html` (${fmtDuration(f.ageMs)} old)` : ''}
    ${f.stale ? html` <span class="badge stale">STALE</span>` : ''}
    ${res.error ? html` <span class="badge err" title=${res.error.message}>update failed</span>` : ''}
  </span>`;
}

/** A titled panel; `res` (a useResource result) adds the freshness stamp and error line. */
export function Panel({ title, res, children, cls = '', right = null, testid = null }) {
  return html`<section class=${`panel ${cls}`} data-testid=${testid}>
    <header><h2>${title}</h2><div class="panel-right">${right}${res !== undefined ? html`<${Fresh} res=${res} />` : ''}</div></header>
    ${res?.error && !res.data ? html`<p class="error">${res.error.message}</p>` : ''}
    ${children}
  </section>`;
}

/** A labelled figure; `cls` colours it (up/down/flat), `sub` is a small line under it. */
export function Stat({ label, value, cls = '', sub = '', testid = null }) {
  return html`<div class="stat"><div class="label">${label}</div>
    <div class=${`value num ${cls}`} data-testid=${testid}>${value}</div>${sub ? html`<div class="sub">${sub}</div>` : ''}</div>`;
}

/** A message for an empty table. */
export function Empty({ cols, text = 'nothing yet' }) {
  return html`<tr><td class="empty" colspan=${cols}>${text}</td></tr>`;
}

/** A modal dialog (confirmation of dangerous commands). */
export function Modal({ title, children, onClose, danger = false }) {
  return html`<div class="modal-back" onClick=${(e) => e.target === e.currentTarget && onClose()}>
    <div class=${`modal ${danger ? 'danger' : ''}`} role="dialog" aria-modal="true" aria-label=${title}>
      <h2>${title}</h2>${children}
    </div></div>`;
}

/** Direction pill for a prediction. */
export function Dir({ d }) {
  const cls = d === 'up' || d === 'long' ? 'up' : d === 'down' || d === 'short' ? 'down' : 'flat';
  return html`<span class=${`pill ${cls}`}>${d ?? '—'}</span>`;
}
