// The page's only channel to the server: same-origin fetches with the session cookie (the page
// never sees the token: /login set the cookie), the CSRF header on every POST, and one refresh
// signal fed by Server-Sent Events with a 30 s poll as fallback.
import { useEffect, useRef, useState } from 'preact/hooks';

export const POLL_MS = 30_000;

let csrf = '';

/** Remembers the CSRF token from /api/session for every later POST. */
export function setCsrf(token) {
  csrf = token ?? '';
}

/** An API error with the server's {error, field, value} and the HTTP status. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || body?.message || `HTTP ${status}`);
    this.status = status;
    this.field = body?.field;
    this.value = body?.value;
  }
}

async function parse(res) {
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: text.slice(0, 200) };
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/** GET /api/... as JSON. */
export async function get(path) {
  return parse(await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } }));
}

/** POST /api/... with a JSON body and the CSRF header. */
export async function post(path, body) {
  return parse(await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, Accept: 'application/json' },
    body: JSON.stringify(body ?? {}),
  }));
}

/** Sends one typed command (the control API's kinds: pause, trade, risk_set, ...). */
export function command(kind, fields) {
  return post(`/api/commands/${kind}`, fields);
}

// --- refresh signal -------------------------------------------------------------------------
// One counter that every resource watches: bumped by an SSE event (throttled) or the poll.
const listeners = new Set();
let tick = 0;
let pending = null;
let lastRefresh = 0;
export const MIN_REFRESH_MS = 1000;

function refresh() {
  pending = null;
  lastRefresh = Date.now();
  tick++;
  for (const l of listeners) l(tick);
}

function bump() {
  if (pending) return;
  // The first event refreshes at once; a burst after it (a fast replay sends many bars a second)
  // is coalesced into at most one refresh per MIN_REFRESH_MS.
  const wait = Math.max(0, lastRefresh + MIN_REFRESH_MS - Date.now());
  if (wait === 0) refresh();
  else pending = setTimeout(refresh, wait);
}

/** Opens the event stream and the poll fallback; returns a stop function. */
export function startLive(onStatus) {
  let es = null;
  let closed = false;
  const status = (s) => onStatus?.(s);
  const open = () => {
    if (closed || typeof EventSource === 'undefined') return;
    es = new EventSource('/api/events', { withCredentials: true });
    es.onopen = () => status('live');
    // A lost stream refetches at once (throttled): the page learns the daemon is gone within
    // the stream's retry (3 s), not at the next 30 s poll.
    es.onerror = () => { status('polling'); bump(); };
    for (const kind of ['bar', 'fill', 'risk', 'state', 'signal']) {
      es.addEventListener(kind, () => bump());
    }
    es.addEventListener('heartbeat', () => status('live'));
  };
  open();
  const timer = setInterval(() => bump(), POLL_MS);
  return () => {
    closed = true;
    clearInterval(timer);
    es?.close();
  };
}

/** Forces every resource to refetch now (after a command). */
export function refreshNow() {
  bump();
}

// --- the account state a command answered with ----------------------------------------------
let answered = null;

/** Remembers `data.trading_state` of a command's answer (with when it came) and refreshes. */
export function noteAnswerState(tradingState) {
  if (!tradingState) return;
  answered = { ...tradingState, at: Date.now() };
  refresh();
}

/** The last command-answered account state, or null (see shape.js overviewState). */
export function answeredState() {
  return answered;
}

/**
 * A GET resource that refetches on every refresh tick: {data, error, fetchedAt, reload}.
 * Old data stays on screen while a refetch runs (no flicker, no remount of forms below it).
 */
export function useResource(path) {
  const [state, setState] = useState({ data: null, error: null, fetchedAt: null });
  const pathRef = useRef(path);
  pathRef.current = path;
  const load = () => {
    if (!path) return;
    const want = path;
    get(want).then(
      (data) => pathRef.current === want && setState({ data, error: null, fetchedAt: Date.now() }),
      (error) => pathRef.current === want && setState((s) => ({ ...s, error })),
    );
  };
  useEffect(() => {
    load();
    const l = () => load();
    listeners.add(l);
    return () => listeners.delete(l);
  }, [path]);
  return { ...state, reload: load };
}
