// The presale API the pages use (commerce/presale's routes), in one place.

const r = (room) => encodeURIComponent(room);

export const PresaleAPI = {
  /** The public offer of a show: tiers, price steps, what is left (GET). */
  offer: (room) => `/api/rooms/${r(room)}/presale`,
  /** Buy a ticket of a tier (POST {tier, pay, ref}, a user token): {ticket, order}. */
  buy: (room) => `/api/rooms/${r(room)}/presale/tickets`,
  /** A page view of the presale page (POST {visitor, ref}). */
  views: (room) => `/api/rooms/${r(room)}/presale/views`,
  /** The signed-in viewer's tickets (GET): {tickets}. */
  mine: () => '/api/me/presale/tickets',
  /** The operator's analytics of a show (GET, admin): JSON, or ?format=csv. */
  stats: (room) => `/api/rooms/${r(room)}/presale/stats`,
};

/** The tickets of a GET mine answer (a bare list or {tickets}). */
export function ticketsOf(res) {
  if (Array.isArray(res)) return res;
  return (res && Array.isArray(res.tickets)) ? res.tickets : [];
}

/** The viewer's token: the #token= fragment (kept for the show's room page), else the one kept. */
export function viewerToken(room) {
  const frag = new URLSearchParams(location.hash.replace(/^#/, ''));
  const params = new URLSearchParams(location.search);
  let token = frag.get('token') || '';
  if (token) {
    frag.delete('token');
    const f = frag.toString();
    history.replaceState(null, '', location.pathname + location.search + (f ? `#${f}` : ''));
  }
  token = token || sessionStorage.getItem('livesell.user') || (room ? sessionStorage.getItem(`livesell.viewer.${room}`) : '') || '';
  if (token) {
    sessionStorage.setItem('livesell.user', token);
    // The show's room page (live.js) reads its own key.
    if (room) sessionStorage.setItem(`livesell.viewer.${room}`, token);
  }
  return { token, ref: params.get('ref') || '' };
}

/** This browser's anonymous visitor id for page-view counts. */
export function visitorId() {
  let v = '';
  try { v = localStorage.getItem('livesell.visitor') || ''; } catch (_) { /* storage blocked */ }
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(v)) {
    const b = new Uint8Array(12);
    crypto.getRandomValues(b);
    v = 'v' + [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    try { localStorage.setItem('livesell.visitor', v); } catch (_) { /* not kept */ }
  }
  return v;
}
