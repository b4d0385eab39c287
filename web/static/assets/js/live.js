// /live/{room}: the viewer room page. Login: ?token=<user JWT> (kept in
// sessionStorage and removed from the address bar) or anonymous.

import { Api, roomFromPath } from './api.js';
import { Viewer } from './viewer.js';

const room = roomFromPath();
const params = new URLSearchParams(location.search);
const key = `livesell.viewer.${room}`;
let token = params.get('token') || '';
if (token) {
  sessionStorage.setItem(key, token);
  params.delete('token');
  const q = params.toString();
  history.replaceState(null, '', location.pathname + (q ? `?${q}` : '') + location.hash);
} else {
  token = sessionStorage.getItem(key) || '';
}

document.getElementById('who').textContent = token ? 'Signed in' : 'Guest (watch only)';

const viewer = new Viewer(document.getElementById('app'), {
  room, token, layer: params.get('layer') || '', hideChat: params.has('hide-chat'),
});
// For tests and the browser console.
window.livesell = { viewer };
viewer.start();

new Api('', () => token).get(`/api/rooms/${encodeURIComponent(room)}`).then((r) => {
  if (r && r.title) {
    document.getElementById('room-title').textContent = r.title;
    document.title = `${r.title} — livesell`;
  }
}).catch(() => {});
addEventListener('pagehide', () => viewer.stop());
