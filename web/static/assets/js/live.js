// /live/{room}: the viewer room page. Login: #token=<user JWT> (a fragment
// never reaches any server or log; ?token= still works) is kept in
// sessionStorage and removed from the address bar; without it the viewer
// is a guest. ?signin=<url> (or the server's sign-in URL) is where a guest
// is sent to sign in.

import { Api, roomFromPath } from './api.js';
import { Viewer } from './viewer.js';
import { Landing } from './countdown.js';
import { t, translatePage, languageSwitch } from './i18n.js';
import { checkPass, Admission } from './admission.js';
import { Backstage } from './backstage.js';

const room = roomFromPath();
const params = new URLSearchParams(location.search);
const frag = new URLSearchParams(location.hash.replace(/^#/, ''));
const key = `livesell.viewer.${room}`;
let token = frag.get('token') || params.get('token') || '';
if (token) {
  sessionStorage.setItem(key, token);
  params.delete('token');
  frag.delete('token');
  const q = params.toString(), f = frag.toString();
  history.replaceState(null, '', location.pathname + (q ? `?${q}` : '') + (f ? `#${f}` : ''));
} else {
  token = sessionStorage.getItem(key) || '';
}

translatePage();
document.getElementById('who').textContent = token ? t('room.signedin') : t('room.guest');
languageSwitch(document.querySelector('.topbar'));

// Share: the room's own link (its page carries Open Graph tags), never a token.
const share = document.createElement('button');
share.type = 'button';
share.id = 'share';
share.className = 'btn btn-ghost';
share.textContent = t('room.share');
share.addEventListener('click', async () => {
  const url = location.origin + location.pathname;
  try {
    if (navigator.share) { await navigator.share({ title: document.title, url }); return; }
    await navigator.clipboard.writeText(url);
    share.textContent = t('room.share.copied');
    setTimeout(() => { share.textContent = t('room.share'); }, 2000);
  } catch (_) { /* the person closed the share sheet */ }
});
document.querySelector('.topbar').insertBefore(share, document.getElementById('who'));

const api = new Api('', () => token);
const signInURL = document.body.dataset.signinUrl || '';
// A ticketed room admits ticket holders only: without a ticket the page
// shows the admission screen instead of the show (and a ticket revoked
// during the show brings it back).
const admit = (revoked) => {
  if (viewer) viewer.stop();
  new Admission(document.getElementById('app'), { room, api, signedIn: !!token, signInURL, revoked }).show();
};
let viewer = null;
let landing = null;
const pass = await checkPass(api, room);
if (pass.ticketed && !pass.admitted) {
  admit(false);
} else {
  viewer = new Viewer(document.getElementById('app'), {
    room, token, layer: params.get('layer') || '', hideChat: params.has('hide-chat'), signInURL,
    onEvent: (name, detail) => {
      // A scheduled room's landing screen goes once the room is live.
      if (landing) landing.onViewer(name, detail);
      if (name === 'ticket-required') admit(true);
    },
  });
  viewer.pass = pass;
  viewer.start();
  // A tier's extra video sources (the VIP backstage camera).
  if (pass.admitted && Array.isArray(pass.sources) && pass.sources.length && viewer.el) {
    const extra = new Backstage(viewer, { room, token: () => token, sources: pass.sources });
    extra.show();
    addEventListener('pagehide', () => extra.stop());
    window.livesellBackstage = extra;
  }
}
// For tests and the browser console.
window.livesell = { viewer, pass };

api.get(`/api/rooms/${encodeURIComponent(room)}`).then((r) => {
  if (r && r.title) {
    document.getElementById('room-title').textContent = r.title;
    document.title = `${r.title} — livesell`;
  }
  if (viewer && r && r.state === 'scheduled' && r.starts_at && viewer.state !== 'live' && viewer.el) {
    landing = new Landing(viewer, r);
    landing.show();
  }
}).catch(() => {});
addEventListener('pagehide', () => { if (viewer) viewer.stop(); });
