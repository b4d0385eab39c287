// /dashboard/report?room=R[&show=S]: the after-show report of a room's
// shows (live while a show runs, final after it), drawn as inline SVG
// charts (charts.js), with CSV and JSON downloads. The admin token is the
// dashboard's (sessionStorage); without it the page sends you there.

import { Api, h, clear } from './api.js';
import { t, money, num, translatePage, languageSwitch, currentLang } from './i18n.js';
import { lineChart, barChart } from './charts.js';
import { clockOf } from './replay.js';

const $ = (id) => document.getElementById(id);
const token = sessionStorage.getItem('livesell.admin') || '';
const api = new Api('', () => token);
translatePage();
languageSwitch(document.querySelector('.topbar'));
if (!token) location.replace('/dashboard');

const params = new URLSearchParams(location.search);
$('report-room').value = params.get('room') || '';
$('report-form').addEventListener('submit', (e) => { e.preventDefault(); loadShows($('report-room').value.trim()); });
if (params.get('room')) loadShows(params.get('room'), params.get('show'));

function fail(err) { $('report-error').textContent = err ? String(err.message || err) : ''; }

async function loadShows(room, pick) {
  fail('');
  clear($('report-shows'));
  clear($('report'));
  try {
    const r = await api.get(`/api/rooms/${encodeURIComponent(room)}/shows`);
    const shows = r.shows || [];
    if (!shows.length) { $('report-shows').append(h('li', {}, t('report.none'))); return; }
    for (const s of shows) {
      const when = new Date(s.started_at).toLocaleString(currentLang());
      $('report-shows').append(h('li', {},
        h('button', { class: 'btn btn-ghost report-show', type: 'button', dataset: { show: s.id }, onclick: () => loadReport(room, s.id) },
          `${when} · ${s.ended_at ? t('report.final') : t('report.live')}`)));
    }
    loadReport(room, pick || shows[0].id);
  } catch (err) { fail(err); }
}

let timer = 0;
async function loadReport(room, show) {
  clearTimeout(timer);
  try {
    const r = await api.get(`/api/rooms/${encodeURIComponent(room)}/shows/${encodeURIComponent(show)}/report`);
    render(room, r);
    if (!r.final) timer = setTimeout(() => loadReport(room, show), 10000); // live: refreshed
  } catch (err) { fail(err); }
}

function download(room, show, format) {
  api.request('GET', `/api/rooms/${encodeURIComponent(room)}/shows/${encodeURIComponent(show)}/report?format=${format}`, { raw: true })
    .then((res) => (res.blob ? res.blob() : new Blob([JSON.stringify(res)], { type: 'application/json' })))
    .then((blob) => {
      const a = h('a', { href: URL.createObjectURL(blob), download: `report-${room}-${show}.${format}` });
      document.body.append(a); a.click(); a.remove();
    }).catch(fail);
}

function stat(label, value) { return h('div', { class: 'report-stat' }, h('span', { class: 'report-stat-label' }, label), h('strong', { class: 'report-stat-value' }, value)); }
function card(title, ...body) { return h('section', { class: 'card-panel report-card' }, h('h2', {}, title), ...body); }
const pct = (x) => `${(Number(x || 0) * 100).toFixed(1)}%`;

function render(room, r) {
  const out = $('report');
  clear(out);
  const cur = r.currency || 'CNY';
  const t0 = Date.parse(r.show.started_at);
  out.dataset.final = String(!!r.final);
  out.append(h('div', { class: 'report-actions' },
    h('span', { class: 'report-badge' }, r.final ? t('report.final') : t('report.live')),
    h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => download(room, r.show.id, 'csv') }, t('report.csv')),
    h('button', { class: 'btn btn-ghost', type: 'button', onclick: () => download(room, r.show.id, 'json') }, t('report.json'))));

  const a = r.audience;
  // The online curve is a step function: each step drawn flat until the next.
  const pts = [{ t: t0, v: 0 }];
  for (const p of a.curve) {
    const tt = Date.parse(p.at);
    if (pts.length) pts.push({ t: tt, v: pts[pts.length - 1].v });
    pts.push({ t: tt, v: p.online });
  }
  if (pts.length) pts.push({ t: t0 + r.duration_ms, v: pts[pts.length - 1].v });
  out.append(card(t('report.audience'),
    h('div', { class: 'report-stats' },
      stat(t('report.peak'), `${num(a.peak)} ${a.peak_at ? t('report.peakat', { time: clockOf(Date.parse(a.peak_at) - t0) }) : ''}`),
      stat(t('report.unique'), num(a.unique_viewers)),
      stat(t('report.avgwatch'), clockOf(a.avg_watch_ms)),
      stat(t('report.medianwatch'), clockOf(a.median_watch_ms)),
      stat(t('report.newret'), `${num(a.new_viewers)} / ${num(a.returning_viewers)}`)),
    h('figure', { class: 'report-chart' }, h('figcaption', {}, t('report.online')), lineChart(pts, { width: 640, height: 160, label: t('report.online') })),
    h('figure', { class: 'report-chart' }, h('figcaption', {}, t('report.watch')),
      barChart(a.watch_buckets.map((b) => ({ label: b.to_ms ? `<${b.to_ms / 60000}′` : `≥${b.from_ms / 60000}′`, v: b.viewers })), { width: 320, height: 140 })),
    h('figure', { class: 'report-chart' }, h('figcaption', {}, t('report.sources')),
      barChart(a.sources.map((s) => ({ label: s.referrer === 'direct' ? t('report.direct') : s.referrer.slice(0, 14), v: s.viewers })), { width: 420, height: 140, color: '#7b61ff' }))));

  const x = r.interaction;
  const minutes = x.danmaku_by_minute.map((v, i) => ({ label: String(i), v: v + x.likes_by_minute[i] + x.gifts_by_minute[i] }));
  out.append(card(t('report.interaction'),
    h('div', { class: 'report-stats' }, stat(t('report.danmaku'), num(x.danmaku)), stat(t('report.likes'), num(x.likes)), stat(t('report.gifts'), num(x.gifts)), stat(t('report.rate'), pct(x.rate))),
    h('figure', { class: 'report-chart' }, h('figcaption', {}, t('report.perminute')), barChart(minutes, { width: 640, height: 140, color: '#ff4f7b' }))));

  const head = ['product', 'window', 'impressions', 'clicks', 'carts', 'orders', 'paid', 'units', 'gmv', 'conversion'].map((k) => h('th', { scope: 'col' }, t(`report.col.${k}`)));
  head.push(h('th', { scope: 'col' }, t('report.col.after', { n: r.after_minutes })));
  const rows = r.products.map((p) => h('tr', { dataset: { product: p.product_id } },
    h('td', {}, p.title || p.product_id), h('td', {}, `${clockOf(p.offset_ms)}–${clockOf(p.offset_ms + p.duration_ms)}`),
    h('td', {}, num(p.impressions)), h('td', {}, num(p.clicks)), h('td', {}, num(p.carts)), h('td', {}, num(p.orders)),
    h('td', {}, num(p.paid_orders)), h('td', {}, num(p.units)), h('td', {}, money(p.gmv_minor, cur)), h('td', {}, pct(p.conversion)),
    h('td', {}, `${num(p.after.orders)} · ${money(p.after.gmv_minor, cur)}`)));
  out.append(card(t('report.products'), h('table', { class: 'report-table' }, h('thead', {}, h('tr', {}, ...head)), h('tbody', {}, ...rows))));

  const m = r.money;
  out.append(card(t('report.money'),
    h('div', { class: 'report-stats' }, stat(t('report.gmv'), money(m.gmv_minor, cur)), stat(t('report.paidgmv'), money(m.paid_gmv_minor, cur)),
      stat(t('report.aov'), money(m.aov_minor, cur)), stat(t('report.refunds'), `${num(m.refunds)} · ${money(m.refunded_minor, cur)}`)),
    h('figure', { class: 'report-chart' }, h('figcaption', {}, t('report.gmvminute')),
      barChart(m.gmv_by_minute.map((v, i) => ({ label: String(i), v: Math.round(v / 100) })), { width: 640, height: 140 }))));

  const rp = r.replay;
  out.append(card(t('report.replay'), h('div', { class: 'report-stats' },
    stat(t('report.views'), num(rp.views)), stat(t('report.chapterplays'), num(rp.chapter_plays)),
    stat(t('report.replayorders'), `${num(rp.orders)} · ${money(rp.gmv_minor, cur)}`))));
}
