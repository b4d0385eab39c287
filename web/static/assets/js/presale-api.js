// The presale API the pages use (commerce/presale's routes), in one place.

const r = (room) => encodeURIComponent(room);

export const PresaleAPI = {
  /** The public offer of a show: tiers, price steps, what is left (GET). */
  offer: (room) => `/api/rooms/${r(room)}/presale`,
  /** Buy a ticket of a tier (POST {tier, pay, ref}, a user token). */
  buy: (room) => `/api/rooms/${r(room)}/tickets`,
  /** The signed-in viewer's tickets (GET). */
  mine: () => '/api/me/tickets',
  /** The operator's analytics of a show (GET, admin): JSON, or CSV with .csv. */
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
