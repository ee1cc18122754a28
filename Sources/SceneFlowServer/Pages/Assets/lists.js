// ---- home and run history ---------------------------------------------------------------------

async function home() {
  const [templates, runs, products] = await Promise.all([api('/templates'), api('/runs'), api('/products')]);
  const templateList = el('ul', { 'aria-label': 'Templates' });
  for (const t of templates) {
    templateList.append(el('li', {},
      el('a', { href: `/templates/${t.id}`, text: t.id }), ` — ${plural(t.scenes, 'scene')}, `,
      el('span', { class: t.valid ? 'ok' : 'bad', text: t.valid ? 'valid' : `${plural(t.errors, 'error')}` }), ' · ',
      el('a', { href: `/templates/${t.id}/hydrate`, text: `Hydrate ${t.id}` }), ' · ',
      el('a', { href: `/runs?template=${encodeURIComponent(t.id)}`, text: `Runs of ${t.id}` })));
  }
  const productList = el('ul', { 'aria-label': 'Products' });
  if (!products.length) productList.append(el('li', { text: 'No products yet: hydrating a template for a product id stores its files.' }));
  if (!templates.length) templateList.append(el('li', { text: 'No templates in the served folder yet.' }));
  for (const p of products) {
    productList.append(el('li', {}, el('a', { href: `/products/${p.product_id}`, text: p.product_id }), ` (${plural(p.assets, 'file')}) · `,
      el('a', { href: `/runs?product_id=${encodeURIComponent(p.product_id)}`, text: `Runs for ${p.product_id}` })));
  }
  show(el('h1', { text: 'SceneFlow' }),
       el('section', {}, el('h2', { text: 'Templates' }), templateList, el('p', {}, el('a', { href: '/templates/new', text: 'New template' }))),
       el('section', {}, el('h2', { text: 'Recent runs' }), runTable(runs.slice(0, 10)), el('p', {}, el('a', { href: '/runs', text: 'All runs' }))),
       el('section', {}, el('h2', { text: 'Products' }), productList, el('p', {}, el('a', { href: '/products', text: 'All products' }))));
}

const stageNames = { frames: 'frames only', clips: 'clips', final: 'final cut' };

function runTable(runs) {
  const table = el('table', { 'aria-label': 'Runs' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, el('span', { class: 'visually-hidden', text: 'First frame' })),
      ...['Run', 'Template', 'Product', 'Stage', 'Status', 'Started', 'Spend'].map((h) => el('th', { scope: 'col', text: h })))));
  const body = el('tbody');
  for (const r of runs) {
    body.append(el('tr', {},
      el('td', {}, r.thumbnail ? el('img', { src: r.thumbnail, alt: `${r.run_id}: its first frame`, class: 'row-thumb', loading: 'lazy' }) : null),
      el('td', {}, el('a', { href: `/runs/${r.run_id}`, text: r.run_id })), el('td', { text: r.template }),
      el('td', { text: r.product_id || '' }), el('td', { class: 'stage', text: stageNames[r.stage] || '' }),
      el('td', { class: r.status, text: r.status + (r.simulated ? ' (simulated)' : '') }),
      el('td', { text: r.started_at }), el('td', { text: (r.spend_estimated ? '~' : '') + money(r.spend) })));
  }
  if (!runs.length) body.append(el('tr', {}, el('td', { colspan: 8, text: 'No runs yet.' })));
  table.append(body);
  return table;
}

// The runs of one template for one product are one thread: the ad as it was made, run by run.
function threads(runs) {
  const groups = new Map();
  for (const r of runs) {
    const key = `${r.template}\u0000${r.product_id || ''}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return [...groups.values()].map((list) => {
    const first = list[0];
    const name = `${first.template}${first.product_id ? ` for ${first.product_id}` : ''}`;
    const spend = list.reduce((sum, r) => sum + (Number(r.spend) || 0), 0);
    return el('section', { class: 'thread', 'aria-label': `Thread ${name}` },
      el('h2', { text: name }), el('p', { class: 'hint', text: `${plural(list.length, 'run')}, ${money(spend)} spent; newest first.` }), runTable(list));
  });
}

// The history, by template and product (`/runs?template=ID&product_id=P`).
async function runs() {
  const params = new URLSearchParams(location.search);
  const template = params.get('template') || '', product = params.get('product_id') || '';
  const query = new URLSearchParams();
  if (template) query.set('template', template);
  if (product) query.set('product_id', product);
  const templateInput = el('input', { id: 'filter-template', name: 'template', value: template, 'aria-label': 'Template id', pattern: idPatternAttribute });
  const productInput = el('input', { id: 'filter-product', name: 'product_id', value: product, 'aria-label': 'Product id', pattern: idPatternAttribute });
  const filters = el('form', { method: 'get', action: '/runs', class: 'filters' },
    el('label', { for: 'filter-template', text: 'Template ' }), templateInput, ' ',
    el('label', { for: 'filter-product', text: 'Product ' }), productInput, ' ',
    el('button', { type: 'submit', text: 'Filter' }), ' ', el('a', { href: '/runs', text: 'All runs' }));
  const title = template || product ? `Runs${template ? ` of ${template}` : ''}${product ? ` for ${product}` : ''}` : 'Runs';
  let list;
  try { list = await api('/runs' + (query.toString() ? '?' + query : '')); } catch (error) {
    show(el('h1', { text: 'Runs' }), filters, errorBox(error));   // the filter stays, to be corrected
    return;
  }
  const spend = list.reduce((sum, r) => sum + (Number(r.spend) || 0), 0);
  show(el('h1', { text: title }), filters,
       el('p', { role: 'status', text: `${plural(list.length, 'run')}, ${money(spend)} spent.` }), ...threads(list));
}
