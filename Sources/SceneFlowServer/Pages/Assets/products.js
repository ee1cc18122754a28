// ---- the product library and the queue ----------------------------------------------------
//
// `/products`: every product with thumbnails of its stored files. `/products/{id}`: its files
// per slot, uploaded and removed without going through a template, and its runs. `/queue`:
// what this server's runs are doing now, with a timer per job.

async function products() {
  const list = await api('/products');
  const open = el('input', { id: 'open-product', 'aria-label': 'Product id', pattern: idPatternAttribute, autocomplete: 'off' });
  const opener = el('form', { class: 'filters', onsubmit: (e) => {
    e.preventDefault();
    const wanted = open.value.trim();
    if (idPattern.test(wanted)) location.href = `/products/${wanted}`; else open.setAttribute('aria-invalid', 'true');
  } }, el('label', { for: 'open-product', text: 'Open or start a product ' }), open, ' ', el('button', { type: 'submit', text: 'Open' }));
  const items = await Promise.all(list.map(async (p) => {
    let files = [];
    try { files = await api(`/products/${p.product_id}/assets`); } catch (_) { files = []; }
    const pictures = files.filter((a) => storedImage(a.type)).slice(0, 6)
      .map((a) => thumbnail(a.url, `${p.product_id}: ${a.asset_key}, ${a.original_name || a.sha256.slice(0, 12)}`));
    return el('li', { class: 'product' }, el('h2', {}, el('a', { href: `/products/${p.product_id}`, text: p.product_id })),
      el('p', { text: `${plural(p.assets, 'file')} in ${plural(new Set(files.map((a) => a.asset_key)).size, 'slot')}` }),
      el('div', { class: 'stored' }, ...pictures));
  }));
  show(el('h1', { text: 'Products' }), opener,
       list.length ? el('ul', { class: 'product-list', 'aria-label': 'Products' }, ...items)
                   : el('p', { text: 'No products yet: open one by its id to store its files.' }));
}

async function product() {
  const id = pageID;
  const slots = el('div', { id: 'slots' });
  const notices = el('div', { id: 'notices', 'aria-live': 'polite' });
  const runsPart = el('section', { 'aria-label': 'Runs' });
  const keyInput = el('input', { id: 'new-key', 'aria-label': 'Slot (asset key)', list: 'known-keys', autocomplete: 'off',
                                 placeholder: 'product_1, logo, avatar:maya…' });
  const known = el('datalist', { id: 'known-keys' });
  const filesInput = el('input', { id: 'new-files', type: 'file', multiple: true, 'aria-label': 'Files to store',
                                   accept: 'image/png,image/jpeg,image/webp,video/mp4,video/quicktime,video/webm' });
  const keepOthers = el('input', { id: 'keep-others', type: 'checkbox' });
  const upload = el('button', { type: 'submit', text: 'Upload' });
  const form = el('form', { class: 'upload-form', 'aria-label': 'Upload files', onsubmit: async (e) => {
    e.preventDefault();
    const key = keyInput.value.trim();
    if (!key || !filesInput.files.length) { notices.replaceChildren(el('p', { class: 'error-text', role: 'alert', text: 'Name a slot and choose at least one file.' })); return; }
    upload.disabled = true;
    const data = new FormData();
    for (const file of filesInput.files) data.append('file', file, file.name);
    try {
      const stored = await api(`/products/${id}/assets/${encodeURIComponent(key)}${keepOthers.checked ? '?append=true' : ''}`, { method: 'POST', body: data });
      notices.replaceChildren(el('p', { role: 'status', text: `Stored ${plural(stored.length, 'file')} for ${key}.` }));
      filesInput.value = '';
      await refresh();
    } catch (error) { notices.replaceChildren(errorBox(error)); }
    upload.disabled = false;
  } },
    el('h2', { text: 'Add files' }),
    el('p', {}, el('label', { for: 'new-key', text: 'Slot ' }), keyInput, known),
    el('p', {}, el('label', { for: 'new-files', text: 'Files ' }), filesInput),
    el('p', {}, keepOthers, ' ', el('label', { for: 'keep-others', text: 'Keep the slot\'s other files (add rather than replace)' })),
    upload);

  async function refresh() {
    const files = await api(`/products/${id}/assets`);
    const byKey = {};
    for (const a of files) (byKey[a.asset_key] = byKey[a.asset_key] || []).push(a);
    known.replaceChildren(...Object.keys(byKey).map((k) => el('option', { value: k })));
    const keys = Object.keys(byKey).sort();
    fill(slots, el('h2', { text: 'Stored files' }),
      keys.length ? null : el('p', { text: `Nothing is stored for ${id} yet.` }),
      ...keys.map((key) => el('section', { class: 'slot', 'aria-label': `Slot ${key}` },
        el('h3', { text: key }),
        el('div', { class: 'stored' }, ...byKey[key].map((a) => el('figure', {},
          storedImage(a.type) ? thumbnail(a.url, `${key}: ${a.original_name || a.sha256.slice(0, 12)}`) : el('a', { href: a.url, text: a.original_name || a.sha256.slice(0, 12) }),
          el('figcaption', { text: `${a.original_name || a.sha256.slice(0, 12)} · ${a.type}, ${Math.max(1, Math.round(a.bytes / 1024))} KB` })))),
        el('button', { type: 'button', text: `Remove ${key}`, onclick: async (e) => {
          e.target.disabled = true;
          try {
            await api(`/products/${id}/assets/${encodeURIComponent(key)}`, { method: 'DELETE' });
            notices.replaceChildren(el('p', { role: 'status', text: `Removed the files of ${key}.` }));
          } catch (error) { notices.replaceChildren(errorBox(error)); }
          await refresh();
        } }))));
  }
  show(el('h1', { text: `Product ${id}` }), notices, slots, form, runsPart);
  await refresh();
  try {
    const list = await api(`/runs?product_id=${encodeURIComponent(id)}`);
    fill(runsPart, el('h2', { text: `Runs for ${id}` }), runTable(list));
  } catch (error) { fill(runsPart, errorBox(error)); }
}

async function queue() {
  const table = el('table', { 'aria-label': 'Queue' });
  const status = el('p', { role: 'status', 'aria-live': 'polite' });
  show(el('h1', { text: 'Queue' }), el('p', { class: 'hint', text: 'The jobs of this server\'s runs in flight: running, queued for their provider, or waiting on their inputs.' }),
       status, table);
  let entries = [];
  const seconds = (from) => (from ? Math.max(0, (Date.now() - new Date(from).getTime()) / 1000) : null);
  function draw() {
    const head = el('thead', {}, el('tr', {}, ...['Run', 'Template', 'Product', 'Job', 'Status', 'Provider', 'Model', 'Time'].map((h) => el('th', { scope: 'col', text: h }))));
    const body = el('tbody', {}, ...entries.map((e) => {
      const elapsed = e.status === 'running' ? seconds(e.started_at) : null;
      return el('tr', { class: e.status },
        el('td', {}, el('a', { href: `/runs/${e.run_id}`, text: e.run_id })), el('td', { text: e.template }), el('td', { text: e.product_id || '' }),
        el('td', { text: e.node }), el('td', { text: e.status === 'pending' ? 'waiting on inputs' : e.status }),
        el('td', { text: e.provider || '' }), el('td', { text: e.model || '' }),
        el('td', { class: 'timer', text: elapsed === null ? '' : `${elapsed.toFixed(0)} s` }));
    }));
    if (!entries.length) body.append(el('tr', {}, el('td', { colspan: 8, text: 'Nothing is running or waiting.' })));
    table.replaceChildren(head, body);
    const running = entries.filter((e) => e.status === 'running').length;
    status.textContent = `${running} running, ${entries.length - running} waiting.`;
  }
  async function poll() {
    try { entries = await api('/queue'); draw(); } catch (error) { status.replaceChildren(errorBox(error)); }
  }
  await poll();
  setInterval(poll, 1000);
}
