// Small SVG charts: stacked bars over time, with an axis and a legend. Values are drawn, never
// parsed as markup.

import { h, s } from './dom.js';

const H = 150;
const PAD = { l: 40, r: 8, t: 8, b: 22 };

/**
 * series: [{label, cls, values: [n per bucket]}], starts: [Date per bucket]; stacked bars.
 * format: how an axis value is written.
 */
export function bars(titleText, starts, series, format = (v) => String(v), W = 360) {
  const n = starts.length;
  const totals = starts.map((_, i) => series.reduce((a, se) => a + (se.values[i] || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const bw = n ? iw / n : iw;
  const y = (v) => PAD.t + ih - (max ? (v / max) * ih : 0);
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart',
    role: 'img',
    'aria-label': titleText,
    width: W,
    height: H,
  });
  for (const f of [0, 0.5, 1]) {
    const v = max * f;
    svg.append(
      s('line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: PAD.l - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, format(v)),
    );
  }
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (const se of series) {
      const v = se.values[i] || 0;
      if (!v) continue;
      const rect = s('rect', {
        x: PAD.l + i * bw + bw * 0.1,
        width: Math.max(1, bw * 0.8),
        y: y(acc + v),
        height: Math.max(0.5, y(acc) - y(acc + v)),
        class: se.cls,
      });
      rect.append(s('title', {}, `${se.label} ${format(v)} at ${starts[i].toLocaleTimeString()}`));
      svg.append(rect);
      acc += v;
    }
  }
  const ticks = n > 1 ? [0, Math.floor(n / 2), n - 1] : n ? [0] : [];
  for (const i of ticks) {
    const anchor = i === 0 && n > 1 ? 'start' : i === n - 1 && n > 1 ? 'end' : 'middle';
    const x = anchor === 'start' ? PAD.l : anchor === 'end' ? W - PAD.r : PAD.l + i * bw + bw / 2;
    svg.append(
      s(
        'text',
        { x, y: H - 6, 'text-anchor': anchor, class: 'axis' },
        starts[i].toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
      ),
    );
  }
  const legend = h(
    'ul.legend',
    series.map((se) => h('li', h('span.swatch.' + se.cls), se.label)),
  );
  return h('figure.chart-box', h('figcaption', titleText), svg, legend);
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
