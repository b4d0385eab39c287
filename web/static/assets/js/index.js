// The landing page: open a room's studio or viewer page.
import { translatePage, languageSwitch } from './i18n.js';

translatePage();
languageSwitch(document.querySelector('.topbar'));
const form = document.getElementById('go');
form.addEventListener('submit', (e) => {
  e.preventDefault();
  const room = document.getElementById('room').value.trim();
  const to = e.submitter && e.submitter.value === 'studio' ? 'studio' : 'live';
  if (room) location.href = `/${to}/${encodeURIComponent(room)}`;
});
