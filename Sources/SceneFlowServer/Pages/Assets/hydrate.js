// ---- hydrate a product ----------------------------------------------------------------------
//
// One drop zone per slot (a labelled file input; files may be dropped on the zone), showing the
// product's stored files as thumbnails and the chosen ones before upload; the avatar and
// background replaceable for this product; the plan's estimate; `Hydrate` disabled, with the
// reason, until every required slot is filled; "frames first" runs the frames stage only.

const imageTypes = 'image/png,image/jpeg,image/webp';
const videoTypes = 'video/mp4,video/quicktime,video/webm';
const storedImage = (type) => type === 'png' || type === 'jpeg' || type === 'webp';

function thumbnail(src, alt) { return el('img', { src, alt, class: 'thumb' }); }

async function hydrate() {
  const id = pageID;
  const params = new URLSearchParams(location.search);
  const doc = await api(`/templates/${id}`);
  const template = doc.template || {};
  const invalid = (doc.diagnostics || []).filter((d) => d.severity === 'error');
  const slots = (template.dependencies || []).filter((s) => s.asset_key);
  const productInput = el('input', { id: 'product', 'aria-label': 'Product id', value: params.get('product_id') || '', pattern: idPatternAttribute,
                                     autocomplete: 'off', list: 'known-products' });
  const known = el('datalist', { id: 'known-products' });
  const framesFirst = el('input', { type: 'checkbox', id: 'frames-first' });
  const reason = el('p', { id: 'reason', role: 'status' });
  const plan = el('p', { id: 'plan' });
  const result = el('div', { id: 'result' });
  const stored = {};
  const inputs = {};
  const hint = el('small', { id: 'product-hint' });
  const productsKnown = new Set();

  // A zone: label, what the slot takes, the file input, the stored and chosen files.
  function zone(key, label, details, accept, min, max, override, slotType) {
    const input = el('input', { type: 'file', id: `slot-${key.replace(':', '-')}`, 'aria-label': key, multiple: max > 1, accept });
    const have = el('div', { class: 'stored', id: `stored-${key.replace(':', '-')}`, 'aria-live': 'polite' });
    const chosen = el('div', { class: 'chosen' });
    inputs[key] = { input, min, max, override, have, accept, slotType };
    input.addEventListener('change', () => {
      chosen.replaceChildren(...[...input.files].map((f) => (f.type.startsWith('image/')
        ? el('figure', {}, thumbnail(URL.createObjectURL(f), `${f.name}, to upload`), el('figcaption', { text: `${f.name} (to upload)` }))
        : el('span', { text: `${f.name} (to upload) ` }))));
      update();
    });
    const box = el('li', { class: 'slot dropzone' }, el('label', { for: input.id, text: label }), ` ${details} `, input, have, chosen);
    box.addEventListener('dragover', (e) => { e.preventDefault(); box.classList.add('over'); });
    box.addEventListener('dragleave', () => box.classList.remove('over'));
    box.addEventListener('drop', (e) => {
      e.preventDefault();
      box.classList.remove('over');
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      input.files = e.dataTransfer.files;
      input.dispatchEvent(new Event('change'));
    });
    return box;
  }
  const slotZones = slots.map((slot) => {
    const min = slot.min === undefined ? 1 : slot.min, max = slot.max === undefined ? 1 : slot.max;
    return zone(slot.asset_key, slot.asset_key, `(${slot.type}, ${min === max ? plural(min, 'file') : `${min}–${max} files`}${min >= 1 ? ', required' : ', optional'})`,
                slot.type === 'product_video' ? videoTypes : imageTypes, min, max, false, slot.type);
  });
  const overrideZones = [...(template.avatars || []).map((a) => ['avatar', a.id]), ...(template.backgrounds || []).map((b) => ['background', b.id])]
    .map(([kind, name]) => zone(`${kind}:${name}`, `${kind} ${name}`, '(replaces the template\'s image for this product)', imageTypes, 0, 1, true, null));
  const button = el('button', { type: 'button', id: 'hydrate', text: 'Hydrate', disabled: true });

  let storedTicket = 0;
  async function refreshStored() {
    const mine = ++storedTicket;
    const product = productInput.value.trim();
    const found = {};
    if (idPattern.test(product)) {
      try { for (const a of await api(`/products/${product}/assets`)) (found[a.asset_key] = found[a.asset_key] || []).push(a); } catch (_) {}
    }
    // An answer for an id typed before is not this one's.
    if (mine !== storedTicket) return;
    for (const key of Object.keys(stored)) delete stored[key];
    Object.assign(stored, found);
    for (const [key, { have }] of Object.entries(inputs)) {
      const files = stored[key] || [];
      const remove = files.length ? el('button', { type: 'button', text: 'Remove', 'aria-label': `Remove the stored files of ${key}`, onclick: async (e) => {
        e.target.disabled = true;
        try { await api(`/products/${product}/assets/${encodeURIComponent(key)}`, { method: 'DELETE' }); } catch (error) { result.replaceChildren(errorBox(error)); }
        refreshStored();
      } }) : null;
      fill(have, files.length ? `stored for ${product}: ` : 'nothing stored', ...files.map((a) => (storedImage(a.type)
        ? el('figure', {}, thumbnail(a.url, `${key}: ${a.original_name || a.sha256.slice(0, 12)}`), el('figcaption', { text: a.original_name || a.sha256.slice(0, 12) }))
        : el('span', { text: `${a.original_name || a.sha256.slice(0, 12)} (${a.type}) ` }))), remove);
    }
    hint.textContent = !idPattern.test(product) ? '' : productsKnown.has(product) ? ` ${product} has stored files` : ` a new product`;
    update();
  }

  // Whether a file (chosen or stored) is of the kind its slot takes.
  const fits = (slotType, isImage) => !slotType || (slotType === 'product_video') !== isImage;

  function update() {
    const product = productInput.value.trim();
    const problems = [];
    if (invalid.length) problems.push(`the template has ${plural(invalid.length, 'error')} (open the editor)`);
    if (!idPattern.test(product)) problems.push('enter a product id (lowercase letters, digits, _ and -)');
    for (const [key, { input, min, max, override, slotType }] of Object.entries(inputs)) {
      const chosen = [...input.files];
      const wrong = chosen.filter((f) => !(override ? f.type.startsWith('image/') : fits(slotType, f.type.startsWith('image/'))));
      if (wrong.length) problems.push(`${key} takes ${override || slotType !== 'product_video' ? 'PNG, JPEG or WebP images' : 'MP4, MOV or WebM videos'}, not ${wrong.map((f) => f.name).join(', ')}`);
      if (override) continue;
      const storedWrong = chosen.length ? [] : (stored[key] || []).filter((a) => !fits(slotType, storedImage(a.type)));
      if (storedWrong.length) problems.push(`the stored ${storedWrong.map((a) => a.original_name || a.type).join(', ')} cannot fill ${key} (${slotType}): replace or remove it`);
      const count = chosen.length || (stored[key] || []).length;
      if (count < min) problems.push(`${key} needs ${plural(min, 'file')}`);
      if (chosen.length > max) problems.push(`${key} takes at most ${max}`);
    }
    button.disabled = problems.length > 0;
    reason.textContent = problems.length ? 'Hydrate is disabled: ' + problems.join('; ') + '.' : `Ready to hydrate ${id} for ${product}.`;
  }

  button.addEventListener('click', async () => {
    const product = productInput.value.trim();
    button.disabled = true;
    result.replaceChildren(el('p', { role: 'status', text: 'Uploading…' }));
    try {
      for (const [key, { input, slotType }] of Object.entries(inputs)) {
        if (!input.files.length) continue;
        const form = new FormData();
        for (const file of input.files) form.append('file', file, file.name);
        await api(`/products/${product}/assets/${encodeURIComponent(key)}${slotType ? `?slot_type=${slotType}` : ''}`, { method: 'POST', body: form });
      }
      const body = { template: id, product_id: product };
      if (framesFirst.checked) body.targets = ['frames'];
      const run = await postJSON('/runs', body);
      location.href = `/runs/${run.id}`;
    } catch (error) { result.replaceChildren(errorBox(error)); update(); }
  });
  // A typed product id shows its stored files at once (not when the field loses focus).
  let typing = null;
  productInput.addEventListener('input', () => {
    update();
    clearTimeout(typing);
    typing = setTimeout(() => { refreshStored(); estimate(); }, 200);
  });

  show(el('h1', { text: `Hydrate ${id}` }),
       invalid.length ? el('div', { class: 'error', role: 'alert' }, el('p', {}, `This template has ${plural(invalid.length, 'error')}; `,
         el('a', { href: `/templates/${id}`, text: 'fix it in the editor' }), '.'), diagnosticList(invalid)) : null,
       el('p', {}, el('label', { for: 'product', text: 'Product id ' }), productInput, known, hint),
       el('h2', { text: 'Product assets' }), el('ul', { class: 'slots' }, ...slotZones),
       overrideZones.length ? el('h2', { text: 'Avatar and background for this product' }) : null,
       overrideZones.length ? el('ul', { class: 'slots' }, ...overrideZones) : null,
       el('p', {}, framesFirst, ' ', el('label', { for: 'frames-first', text: 'Frames first: make the frames for review before paying for clips' })),
       plan, reason, button, result);
  try {
    for (const p of await api('/products')) { known.append(el('option', { value: p.product_id })); productsKnown.add(p.product_id); }
  } catch (_) {}
  // The estimate of what this run would make: for the product (what its stored files already
  // made is in the cache), and only the frames when frames first is chosen.
  let planTicket = 0;
  async function estimate() {
    const ticket = ++planTicket;
    const product = productInput.value.trim();
    const query = new URLSearchParams();
    if (idPattern.test(product)) query.set('product_id', product);
    if (framesFirst.checked) query.set('targets', 'frames');
    try {
      const result = await postJSON('/plan' + (query.toString() ? '?' + query : ''), template);
      if (ticket !== planTicket) return;
      const what = framesFirst.checked ? 'the frames' : 'the whole ad';
      plan.textContent = `Estimate for ${what}: ${plural(result.jobs_to_run, 'job')} to run` + (result.jobs_cached ? ` (${result.jobs_cached} already made)` : '')
        + `, about ${Math.round(result.estimated_seconds)} s, ${money(result.estimated_cost)}.`;
    } catch (error) { if (ticket === planTicket) plan.replaceChildren(errorBox(error)); }
  }
  framesFirst.addEventListener('change', estimate);
  estimate();
  refreshStored();
}
