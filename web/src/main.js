// The dashboard shell: session check, mode banner, control bar (EMERGENCY STOP, pause, resume),
// halted and read-only banners, tab navigation by URL hash, live refresh.
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { answeredState, get, setCsrf, startLive, useResource } from './api.js';
import { overviewState } from './shape.js';
import { fmtMoney, fmtTime } from './format.js';
import { Controls, HaltBanner } from './controls.js';
import { sessionClock } from './ui.js';
import { Overview } from './tabs/overview.js';
import { Equity } from './tabs/equity.js';
import { Predictions } from './tabs/predictions.js';
import { Trades } from './tabs/trades.js';
import { Risk } from './tabs/risk.js';
import { Health } from './tabs/health.js';
import { Performance } from './tabs/performance.js';
import { Signals } from './tabs/signals.js';
import { ManualTrade } from './tabs/manual.js';
import { Settings } from './tabs/settings.js';
import './style.css';

export const TABS = [
  ['overview', 'Overview', Overview],
  ['equity', 'Equity', Equity],
  ['predictions', 'Predictions', Predictions],
  ['trades', 'Trade log', Trades],
  ['risk', 'Risk', Risk],
  ['health', 'Health', Health],
  ['performance', 'Performance', Performance],
  ['signals', 'Signals', Signals],
  ['trade', 'Manual trade', ManualTrade],
  ['settings', 'Settings', Settings],
];

function currentTab() {
  const h = location.hash.replace(/^#\/?/, '').split('?')[0];
  return TABS.some(([id]) => id === h) ? h : 'overview';
}

function LoginNeeded({ error }) {
  return html`<div class="login"><h1>Aurum Edge</h1>
    <p>${error?.status === 401 ? 'This browser has no valid session.' : `The server did not answer: ${error?.message}`}</p>
    <p>Open the login URL the daemon printed, or run <code>aurum dashboard --url</code> and open the link it shows
    (it carries a one-time token and sets a session cookie).</p></div>`;
}

function App() {
  const [session, setSession] = useState(null);
  const [sessionError, setSessionError] = useState(null);
  const [tab, setTab] = useState(currentTab());
  const [link, setLink] = useState('connecting');

  useEffect(() => {
    get('/api/session').then((s) => { setCsrf(s.csrf); setSession(s); }, setSessionError);
    const onHash = () => setTab(currentTab());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => (session ? startLive(setLink) : undefined), [session]);

  if (sessionError) return html`<${LoginNeeded} error=${sessionError} />`;
  if (!session) return html`<div class="loading">connecting…</div>`;
  return html`<${Shell} session=${session} tab=${tab} link=${link} />`;
}

function Shell({ session, tab, link }) {
  const raw = useResource('/api/overview');
  // The server names states in capitals (ACTIVE, PAUSED, REDUCING, HALTED); the page compares
  // lower case. A command's answer newer than the last fetch wins (shape.js overviewState).
  const answered = answeredState();
  const o = useMemo(() => overviewState(raw.data, raw.fetchedAt, answered), [raw.data, raw.fetchedAt, answered]);
  const ov = { ...raw, data: o };
  sessionClock.clock = o?.clock ?? null;
  // Under `aurum dashboard` (no daemon) the badge says OFFLINE; the session's own mode follows it.
  const offline = session.mode === 'offline';
  const mode = offline ? 'offline' : String(o?.mode ?? session.mode ?? 'offline').toLowerCase();
  const readOnly = !!session.read_only;
  const ccy = o?.currency ?? 'USDT';
  const Tab = TABS.find(([id]) => id === tab)[2];
  useEffect(() => {
    document.title = `${mode.toUpperCase()} · ${o ? fmtMoney(o.equity, ccy) : ''} · Aurum Edge`;
  }, [mode, o?.equity]);
  return html`<div class=${`app mode-${mode}`}>
    <header class="top">
      <div class=${`mode-badge mode-${mode}`} data-testid="mode">${mode.toUpperCase()}</div>
      <div class="brand">Aurum Edge</div>
      <div class="top-figs">
        <span>state <b class=${`state state-${o?.state}`} data-testid="state" title=${o?.state_text ?? ''}>${o?.state ? o.state.toUpperCase() : '…'}</b></span>
        <span>equity <b class="num" data-testid="top-equity">${fmtMoney(o?.equity, ccy)}</b></span>
        <span class=${`link link-${link}`} title="live = server push (SSE), polling = every 30 s">${link}</span>
        <span class="clock" title="time of the newest bar the session processed">${o?.data_time ? `data ${fmtTime(o.data_time)}${o.clock === 'replay' ? ' (replay)' : ''}` : ''}</span>
      </div>
      <${Controls} session=${session} overview=${o} />
    </header>
    ${readOnly ? html`<div class="banner readonly" data-testid="readonly-banner">READ-ONLY${offline && o?.mode ? ` (${o.mode} session, read from the database)` : ''}: ${session.read_only_reason || 'controls are disabled'}</div>` : ''}
    ${raw.error && raw.error.status === undefined ? html`<div class="banner readonly" data-testid="lost-banner">NO CONNECTION: the daemon did not answer (${raw.error.message}); it may have stopped. Figures are from ${fmtTime(raw.fetchedAt, { seconds: true })} UTC; <code>aurum dashboard</code> shows the database read-only.</div>` : ''}
    <${HaltBanner} overview=${o} readOnly=${readOnly} />
    <nav class="tabs">${TABS.map(([id, label]) => html`<a href=${`#/${id}`} class=${id === tab ? 'active' : ''} data-tab=${id}>${label}</a>`)}</nav>
    <main data-testid=${`tab-${tab}`}><${Tab} session=${session} overview=${ov} readOnly=${readOnly} ccy=${ccy} /></main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
