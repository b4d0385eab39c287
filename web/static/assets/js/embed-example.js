// The example host page: creates <livesell-room> from ?room= and ?token=
// and logs every event the element fires.

const params = new URLSearchParams(location.search);
const el = document.createElement('livesell-room');
el.setAttribute('room', params.get('room') || 'demo');
if (params.get('token')) el.setAttribute('token', params.get('token'));
if (params.has('hide-chat')) el.setAttribute('hide-chat', '');
if (params.get('layer')) el.setAttribute('layer', params.get('layer'));

const log = document.getElementById('log');
const seen = {};
function record(name, detail) {
  seen[name] = (seen[name] || 0) + 1;
  const li = document.createElement('li');
  li.dataset.event = name;
  let text = '';
  if (name === 'product') text = `${detail.title || detail.product_id}`;
  else if (name.startsWith('order-')) text = `order ${detail.order && (detail.order.id || '')}`;
  else if (name === 'state') text = detail.state;
  else if (name === 'likes') text = String(detail.total);
  else if (name === 'comments') text = String(detail.count);
  else if (name === 'stock-changed') text = `${detail.stock_left} left`;
  else if (name === 'buy') text = `${detail.title || detail.product_id}`;
  li.textContent = `${new Date().toLocaleTimeString()} ${name} ${text}`.trim();
  log.prepend(li);
  document.body.dataset[`seen${name.replace(/-(.)/g, (_, c) => c.toUpperCase()).replace(/^./, (c) => c.toUpperCase())}`] = String(seen[name]);
}

for (const name of ['ready', 'live', 'ended', 'state', 'product', 'card-shown', 'card-hidden', 'stock-changed', 'login-required',
  'cart-changed', 'order-created', 'order-paid', 'order-failed', 'order-cancelled', 'likes', 'comments']) {
  el.addEventListener(name, (e) => record(name, e.detail || {}));
}
el.addEventListener('buy', (e) => {
  record('buy', e.detail || {});
  if (document.getElementById('take-over').checked) {
    e.preventDefault();
    document.getElementById('own-checkout').textContent = `Your own checkout for ${e.detail.title || e.detail.product_id} starts here (livesell created no order).`;
  }
});
window.livesellExample = { el, seen };
document.getElementById('slot').append(el);
