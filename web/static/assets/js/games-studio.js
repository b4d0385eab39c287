// The studio's games panel: start a lucky draw (by keyword, like or an
// Enter button) and close it, watching the entries come in, then show the
// winners and the revealed seed; launch a red packet (or a rain of them)
// and watch its settlement; and see the gifts — the anchor's income and the
// leaderboard. It signs in with the studio's own key (sessionStorage).

import { Api, ApiError, roomFromPath, h, clear } from './api.js';
import { t, money, toMinor } from './i18n.js';

const room = roomFromPath();
const storeKey = `livesell.studio.${room}`;
const api = new Api('', () => sessionStorage.getItem(storeKey) || '');
const R = encodeURIComponent(room);
let current = null; // the open draw
let timer = 0;

function err(e) { return e instanceof ApiError ? e.message : String((e && e.message) || e); }

function field(id, label, input) {
  input.id = id;
  return h('label', { class: 'games-field' }, label, ' ', input);
}

function render(main) {
  const drawStatus = h('p', { id: 'draw-status', class: 'hint', role: 'status', 'aria-live': 'polite' });
  const drawEntries = h('span', { id: 'draw-entries' }, '0');
  const drawResult = h('div', { id: 'draw-result', class: 'hint' });
  const closeBtn = h('button', { id: 'draw-close', class: 'btn', type: 'button', disabled: true }, t('draw.studio.close'));
  const rule = h('select', {}, ...['keyword', 'like', 'open'].map((r) => h('option', { value: r }, t(`draw.rule.${r}`))));
  const drawForm = h('form', { id: 'draw-form', class: 'sell' },
    field('draw-title', t('draw.studio.name'), h('input', { type: 'text', maxlength: '80', value: t('draw.studio.default') })),
    field('draw-rule', t('draw.studio.rule'), rule),
    field('draw-keyword', t('draw.studio.keyword'), h('input', { type: 'text', maxlength: '20', value: t('draw.studio.defaultKeyword') })),
    field('draw-winners', t('draw.studio.winners'), h('input', { type: 'number', min: '1', max: '1000', value: '1' })),
    field('draw-points', t('draw.studio.points'), h('input', { type: 'number', min: '1', value: '100' })),
    field('draw-duration', t('draw.studio.duration'), h('input', { type: 'number', min: '1', max: '86400', value: '60' })),
    h('button', { id: 'draw-start', class: 'btn btn-live', type: 'submit' }, t('draw.studio.start')),
    closeBtn);
  drawForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (id) => document.getElementById(id).value;
    try {
      current = await api.post(`/api/rooms/${R}/draws`, {
        title: v('draw-title'), rule: v('draw-rule'), keyword: v('draw-rule') === 'keyword' ? v('draw-keyword') : '',
        winners: Number(v('draw-winners')), duration_s: Number(v('draw-duration')),
        prize: { kind: 'points', points: Number(v('draw-points')) },
      });
      drawStatus.textContent = t('draw.studio.opened', { commitment: current.commitment.slice(0, 12) });
      clear(drawResult);
      closeBtn.disabled = false;
    } catch (e2) { drawStatus.textContent = err(e2); }
  });
  closeBtn.addEventListener('click', async () => {
    if (!current) return;
    closeBtn.disabled = true;
    try {
      const d = await api.post(`/api/draws/${encodeURIComponent(current.id)}/close`, {});
      showResult(d, drawStatus, drawResult, drawEntries);
      current = null;
    } catch (e2) { drawStatus.textContent = err(e2); closeBtn.disabled = false; }
  });

  const rpStatus = h('p', { id: 'rp-status', class: 'hint', role: 'status', 'aria-live': 'polite' });
  const rpList = h('ul', { id: 'rp-list', class: 'hint' });
  const rpForm = h('form', { id: 'rp-form', class: 'sell' },
    field('rp-total', t('redpacket.studio.total'), h('input', { type: 'text', inputmode: 'decimal', value: '88.88' })),
    field('rp-currency', t('redpacket.studio.currency'), h('input', { type: 'text', maxlength: '3', value: 'CNY' })),
    field('rp-count', t('redpacket.studio.count'), h('input', { type: 'number', min: '1', max: '10000', value: '10' })),
    field('rp-duration', t('redpacket.studio.duration'), h('input', { type: 'number', min: '1', value: '60' })),
    field('rp-rain', t('redpacket.studio.rain'), h('input', { type: 'number', min: '1', max: '100', value: '1' })),
    h('button', { id: 'rp-start', class: 'btn btn-live', type: 'submit' }, t('redpacket.studio.launch')));
  rpForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (id) => document.getElementById(id).value;
    const cur = v('rp-currency').toUpperCase();
    const total = toMinor(v('rp-total'), cur);
    if (!Number.isFinite(total)) { rpStatus.textContent = t('redpacket.studio.badTotal'); return; }
    const rain = Number(v('rp-rain'));
    try {
      const out = await api.post(`/api/rooms/${R}/redpackets`, {
        total_minor: total, currency: cur, packets: Number(v('rp-count')), duration_s: Number(v('rp-duration')), mode: 'lucky',
        rain: rain > 1 ? { count: rain, every_s: Number(v('rp-duration')) } : undefined,
      });
      rpStatus.textContent = t('redpacket.studio.launched', { n: out.packets.length });
      refresh();
    } catch (e2) { rpStatus.textContent = err(e2); }
  });

  const income = h('p', { id: 'gift-income', class: 'stat-n' }, '–');
  const board = h('ol', { id: 'gift-board', class: 'orders' });
  const section = h('section', { class: 'panel panel-games', id: 'games', 'aria-labelledby': 'games-h' },
    h('h2', { id: 'games-h' }, t('draw.studio.panel')),
    h('h3', {}, '🎁 ', t('draw.studio.heading')), drawForm, h('p', { class: 'hint' }, t('draw.studio.entries'), ' ', drawEntries), drawStatus, drawResult,
    h('h3', {}, '🧧 ', t('redpacket.studio.heading')), rpForm, rpStatus, rpList,
    h('h3', {}, '🎉 ', t('gift.studio.heading')), h('p', { class: 'hint' }, t('gift.studio.income')), income, board);
  main.appendChild(section);
  clearInterval(timer);
  timer = setInterval(refresh, 2000);
  refresh();

  async function refresh() {
    try {
      if (current) {
        const d = await api.get(`/api/draws/${encodeURIComponent(current.id)}`);
        drawEntries.textContent = String(d.entered || 0);
        if (d.status === 'closed') { showResult(d, drawStatus, drawResult, drawEntries); current = null; closeBtn.disabled = true; }
      }
      const ps = (await api.get(`/api/rooms/${R}/redpackets`)).packets || [];
      clear(rpList);
      for (const p of ps.slice(0, 5)) {
        rpList.appendChild(h('li', { dataset: { status: p.status } }, t('redpacket.studio.row', {
          total: money(p.total_minor, p.currency), n: p.packets, status: t(`redpacket.status.${p.status}`, p.status),
          grabbed: p.grabbed, paid: money(p.paid_minor, p.currency), back: money(p.returned_minor, p.currency),
        })));
      }
      const inc = await api.get(`/api/rooms/${R}/gifts/income`);
      const tot = Object.entries(inc.totals || {});
      income.textContent = tot.length ? tot.map(([c, n]) => money(n, c)).join(' · ') : money(0, 'CNY');
      const ranks = (await api.get(`/api/rooms/${R}/gifts/leaderboard`)).ranks || [];
      clear(board);
      for (const r of ranks) board.appendChild(h('li', {}, `${r.sender_name || t('gift.someone')} — ${money(r.amount_minor, r.currency)}`));
    } catch (_) { /* next time */ }
  }
}

function showResult(d, status, result, entries) {
  const r = d.result || {};
  entries.textContent = String(r.entries || 0);
  status.textContent = t('draw.studio.closed', { n: (r.winners || []).length, entries: r.entries || 0 });
  clear(result);
  result.append(h('p', { id: 'draw-winners-list' }, t('draw.studio.winnersAre'), ' ', (r.winners || []).join(', ') || '–'),
    h('p', {}, t('draw.studio.seed'), ' ', h('code', { id: 'draw-seed' }, d.seed || '')),
    h('a', { href: `/api/draws/${encodeURIComponent(d.id)}/entries`, target: '_blank', rel: 'noopener' }, t('draw.verify')));
}

document.head.appendChild(h('link', { rel: 'stylesheet', href: '/assets/css/games.css' }));
const main = document.getElementById('studio');
const start = () => { if (!main.hidden && !document.getElementById('games')) render(main); };
new MutationObserver(start).observe(main, { attributes: true, attributeFilter: ['hidden'] });
start();
