// Chart components: uPlot for time series (synchronised cursors, drag-zoom, wheel zoom, pan),
// lightweight-charts for candles with trade markers and stop lines.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const AXIS = { stroke: '#8a94a6', grid: { stroke: '#232a36', width: 1 }, ticks: { stroke: '#232a36' }, font: '11px system-ui, sans-serif' };

// Charts that share a sync key also share their x range: zooming one zooms the others.
const groups = new Map();

function syncXPlugin(key) {
  return {
    hooks: {
      init: (u) => {
        if (!key) return;
        if (!groups.has(key)) groups.set(key, new Set());
        groups.get(key).add(u);
      },
      destroy: (u) => groups.get(key)?.delete(u),
      setScale: (u, scale) => {
        if (!key || scale !== 'x' || u._syncing) return;
        const { min, max } = u.scales.x;
        for (const other of groups.get(key) ?? []) {
          if (other === u) continue;
          other._syncing = true;
          other.setScale('x', { min, max });
          other._syncing = false;
        }
      },
    },
  };
}

// Wheel zooms around the cursor; dragging with the middle button or with Shift pans.
function wheelPanPlugin() {
  return {
    hooks: {
      ready: (u) => {
        const over = u.over;
        over.addEventListener('dblclick', () => { u._userZoom = false; });
        over.addEventListener('wheel', (e) => {
          e.preventDefault();
          const { min, max } = u.scales.x;
          const range = max - min;
          const at = u.posToVal(e.offsetX, 'x');
          const f = e.deltaY < 0 ? 0.8 : 1.25;
          const nmin = at - (at - min) * f;
          u._userZoom = true;
          u.setScale('x', { min: nmin, max: nmin + range * f });
        }, { passive: false });
        over.addEventListener('mousedown', (e) => {
          if (!(e.button === 1 || e.shiftKey)) return;
          e.preventDefault();
          e.stopPropagation();
          const x0 = e.clientX;
          const { min, max } = u.scales.x;
          const perPx = (max - min) / u.bbox.width * devicePixelRatio;
          const move = (ev) => {
            const d = (ev.clientX - x0) * perPx;
            u._userZoom = true;
            u.setScale('x', { min: min - d, max: max - d });
          };
          const up = () => {
            window.removeEventListener('mousemove', move);
            window.removeEventListener('mouseup', up);
          };
          window.addEventListener('mousemove', move);
          window.addEventListener('mouseup', up);
        }, true);
      },
    },
  };
}

/**
 * A uPlot chart that fills its container's width. `series` are uPlot series options after the
 * x series; `data` is uPlot's columnar data. New data keeps the user's zoom.
 */
export function UPlot({ data, series, height = 220, syncKey = null, yLabel = '', xTime = true, bars = false, yFmt = null, cls = '' }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const el = box.current;
    const opts = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: xTime } },
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      legend: { live: true },
      cursor: syncKey ? { sync: { key: syncKey } } : {},
      axes: [
        { ...AXIS },
        { ...AXIS, label: yLabel, size: 64, values: yFmt ? (u, vals) => vals.map(yFmt) : undefined },
      ],
      series: [{}, ...series.map((s) => ({
        width: 1.5,
        ...s,
        ...(bars ? { paths: uPlot.paths.bars({ size: [0.8] }), fill: s.fill ?? s.stroke, points: { show: false } } : {}),
      }))],
      hooks: { setSelect: [(u) => { if (u.select.width > 0) u._userZoom = true; }] },
      plugins: [syncXPlugin(syncKey), ...(xTime ? [wheelPanPlugin()] : [])],
    };
    plot.current = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (plot.current && Math.abs(plot.current.width - w) > 2) plot.current.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [series.length, height, syncKey]);
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    // A refresh keeps the user's zoom: reset scales to the data, then restore the x range.
    const keep = u._userZoom ? { min: u.scales.x.min, max: u.scales.x.max } : null;
    u.setData(data, true);
    if (keep) u.setScale('x', keep);
  }, [data]);
  return html`<div class=${`chart ${cls}`} ref=${box}></div>`;
}

/**
 * Candles with entry/exit markers and stop lines (lightweight-charts, loaded on demand so the
 * Overview does not pay for it). Its attribution logo stays on (the licence asks for it).
 */
export function CandleChart({ shaped, height = 300 }) {
  const box = useRef(null);
  useEffect(() => {
    let chart = null;
    let ro = null;
    let cancelled = false;
    import('lightweight-charts').then((lw) => {
      if (cancelled || !box.current) return;
      const el = box.current;
      chart = lw.createChart(el, {
        width: el.clientWidth,
        height,
        layout: { background: { color: '#12161e' }, textColor: '#c7cfdb', attributionLogo: true },
        grid: { vertLines: { color: '#1f2632' }, horzLines: { color: '#1f2632' } },
        timeScale: { timeVisible: true, secondsVisible: false },
        rightPriceScale: { borderColor: '#2a3240' },
      });
      const series = chart.addSeries(lw.CandlestickSeries, {
        upColor: '#26a65b', downColor: '#e5484d', borderVisible: false,
        wickUpColor: '#26a65b', wickDownColor: '#e5484d',
      });
      series.setData(shaped.bars);
      lw.createSeriesMarkers(series, shaped.markers);
      for (const s of shaped.stops) {
        // One short dashed segment per stop, from where it was placed to where it ended.
        const line = chart.addSeries(lw.LineSeries, {
          color: '#e5484d', lineWidth: 1, lineStyle: lw.LineStyle.Dashed, lastValueVisible: false,
          priceLineVisible: false, crosshairMarkerVisible: false, pointMarkersVisible: s.to === s.from,
          title: `stop${s.trade_id === null ? '' : ` #${s.trade_id}`}`,
        });
        line.setData(s.to > s.from ? [{ time: s.from, value: s.price }, { time: s.to, value: s.price }] : [{ time: s.from, value: s.price }]);
      }
      chart.timeScale().fitContent();
      ro = new ResizeObserver(() => chart.applyOptions({ width: el.clientWidth }));
      ro.observe(el);
    });
    return () => {
      cancelled = true;
      ro?.disconnect();
      chart?.remove();
    };
  }, [shaped, height]);
  return html`<div class="candles" ref=${box}></div>
    <div class="attribution">Charts by <span>TradingView Lightweight Charts™</span> (Apache-2.0, © TradingView, Inc.)</div>`;
}
