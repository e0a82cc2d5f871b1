// Equity curve with its underwater drawdown below, BTC/ETH buy-and-hold overlays scaled to the
// starting equity; drag to zoom, wheel to zoom, Shift+drag to pan, double-click to reset. The
// two charts share cursor and x range.
import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import { useResource } from '../api.js';
import { fmtMoney, fmtPct, fmtNumber } from '../format.js';
import { equitySeries, maxDrawdown } from '../shape.js';
import { UPlot } from '../charts.js';
import { Panel, Stat } from '../ui.js';

const BENCH_COLORS = ['#f0a030', '#9b7bff', '#3cc7c7'];

export function Equity({ ccy }) {
  const res = useResource('/api/equity');
  const s = useMemo(() => (res.data ? equitySeries(res.data) : null), [res.data]);
  const series = useMemo(() => (s ? [
    { label: `Equity (${ccy})`, stroke: '#4c8dff', width: 2, value: (u, v) => fmtNumber(v, 2) },
    ...s.benchNames.map((n, i) => ({ label: `${n} buy & hold`, stroke: BENCH_COLORS[i % 3], dash: [4, 3], value: (u, v) => fmtNumber(v, 2) })),
  ] : []), [s?.benchNames.join(), ccy]);
  const ddSeries = useMemo(() => [{ label: 'Drawdown (%)', stroke: '#e5484d', fill: 'rgba(229,72,77,0.25)', value: (u, v) => fmtNumber(v, 2) + ' %' }], []);
  const eq = s?.main[1] ?? [];
  const first = eq.find((v) => v !== null);
  const last = eq.length ? eq[eq.length - 1] : null;
  return html`<div class="grid">
    <${Panel} title="Equity" res=${res} cls="span3" testid="panel-equity">
      <div class="stats">
        <${Stat} label="Start" value=${fmtMoney(first, ccy)} />
        <${Stat} label="Now" value=${fmtMoney(last, ccy)} testid="equity-last" />
        <${Stat} label="Return" value=${fmtPct(first ? last / first - 1 : null, { signed: true })} cls=${last >= first ? 'up' : 'down'} />
        <${Stat} label="Max drawdown" value=${fmtPct(maxDrawdown(eq))} cls="down" />
        <${Stat} label="Points" value=${fmtNumber(eq.length, 0)} />
      </div>
      ${s && eq.length ? html`
        <${UPlot} data=${s.main} series=${series} height=${300} syncKey="eq" yFmt=${(v) => fmtNumber(v, 0)} />
        <${UPlot} data=${s.drawdown} series=${ddSeries} height=${140} syncKey="eq" yFmt=${(v) => fmtNumber(v, 1) + '%'} cls="underwater" />
        <p class="hint">drag: zoom · wheel: zoom · Shift+drag: pan · double-click: reset · cursor is shared by both charts</p>` : html`<p class="empty">no equity points yet</p>`}
    </${Panel}>
  </div>`;
}
