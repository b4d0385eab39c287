// /replay/{room}: the replay page. ?show=<id> picks a show (default: the
// latest ended one). Login as on /live/{room}: #token=<user JWT>, kept in
// sessionStorage and removed from the address bar.

import { roomFromPath } from './api.js';
import { Replay } from './replay.js';
import { t, translatePage, languageSwitch } from './i18n.js';

const room = roomFromPath();
const params = new URLSearchParams(location.search);
const frag = new URLSearchParams(location.hash.replace(/^#/, ''));
const key = `livesell.viewer.${room}`;
let token = frag.get('token') || '';
if (token) {
  sessionStorage.setItem(key, token);
  history.replaceState(null, '', location.pathname + location.search);
} else {
  token = sessionStorage.getItem(key) || '';
}
translatePage();
document.getElementById('who').textContent = token ? t('room.signedin') : t('room.guest');
languageSwitch(document.querySelector('.topbar'));
const replay = new Replay(document.getElementById('app'), { room, token, show: params.get('show') || '' });
window.livesell = { replay }; // for tests and the browser console
replay.start();
