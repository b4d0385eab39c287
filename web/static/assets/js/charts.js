// Small inline-SVG charts for the dashboard (no library).

import { t, num } from './i18n.js';

const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A line chart of points [{t, v}]. */
export function lineChart(points, { width = 320, height = 120, color = '#00b3a4', label = '' } = {}) {
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label });
  const pad = 22;
  root.append(svg('rect', { x: 0, y: 0, width, height, fill: 'transparent' }));
  if (!points.length) { root.append(svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'chart-empty' }, 'no data yet')); return root; }
  const max = Math.max(1, ...points.map((p) => p.v));
  const t0 = points[0].t, t1 = points[points.length - 1].t;
  const x = (t) => pad + (t1 === t0 ? (width - 2 * pad) : ((t - t0) / (t1 - t0)) * (width - 2 * pad));
  const y = (v) => height - pad - (v / max) * (height - 2 * pad);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  root.append(svg('line', { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: 'chart-axis' }));
  root.append(svg('path', { d, fill: 'none', stroke: color, 'stroke-width': 2 }));
  const last = points[points.length - 1];
  root.append(svg('circle', { cx: x(last.t), cy: y(last.v), r: 3, fill: color }));
  root.append(svg('text', { x: pad, y: 14, class: 'chart-label' }, t('chart.max', { n: num(Math.round(max)) })));
  root.append(svg('text', { x: width - pad, y: 14, 'text-anchor': 'end', class: 'chart-label' }, t('chart.now', { n: num(Math.round(last.v)) })));
  return root;
}

/** A bar chart of [{label, v}]. */
export function barChart(bars, { width = 320, height = 120, color = '#ffb020' } = {}) {
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': bars.map((b) => `${b.label} ${b.v}`).join(', ') });
  const max = Math.max(1, ...bars.map((b) => b.v));
  const bw = (width - 40) / bars.length;
  bars.forEach((b, i) => {
    const bh = (b.v / max) * (height - 40);
    const x = 20 + i * bw + bw * 0.15;
    root.append(svg('rect', { x, y: height - 20 - bh, width: bw * 0.7, height: bh, fill: color, rx: 3 }));
    root.append(svg('text', { x: x + bw * 0.35, y: height - 6, 'text-anchor': 'middle', class: 'chart-label' }, b.label));
    root.append(svg('text', { x: x + bw * 0.35, y: height - 24 - bh, 'text-anchor': 'middle', class: 'chart-label' }, String(b.v)));
  });
  return root;
}
