/// The dashboard's script and stylesheet, served from `/static/`. Plain JavaScript with no
/// dependencies: every value from the API reaches the page through `textContent` or an
/// attribute, never as markup; diagrams are shown as images (`data:` URLs), so nothing in them
/// can run.
enum DashboardAssets {
    static let script = #"""
'use strict';

// ---- helpers -------------------------------------------------------------------------------
const main = document.getElementById('main');
const page = document.body.dataset.page;
const pageID = document.body.dataset.id;

async function api(path, options = {}) {
  const response = await fetch('/api/v1' + path, options);
  const type = response.headers.get('content-type') || '';
  const body = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) {
    const error = new Error((body && body.error && body.error.message) || response.statusText);
    error.status = response.status;
    error.diagnostics = (body && body.error && body.error.diagnostics) || [];
    throw error;
  }
  return body;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function show(...nodes) { main.replaceChildren(...nodes); }

function errorBox(error) {
  const box = el('div', { class: 'error', role: 'alert' }, el('p', { text: error.message }));
  if (error.diagnostics && error.diagnostics.length) box.append(diagnosticList(error.diagnostics));
  return box;
}

function diagnosticList(diagnostics, onPick) {
  const list = el('ul', { class: 'diagnostics', 'aria-label': 'Diagnostics' });
  for (const d of diagnostics) {
    const where = d.path ? ` (at ${d.path}${d.line ? `, line ${d.line}` : ''})` : '';
    const item = el('li', { class: d.severity });
    const text = `${d.severity}: ${d.message} [${d.code}]${where}`;
    item.append(onPick && d.line ? el('a', { href: '#editor', text, onclick: (e) => { e.preventDefault(); onPick(d); } }) : text);
    list.append(item);
  }
  return list;
}

function svgImage(svg, label) {
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return el('img', { src: 'data:image/svg+xml;base64,' + btoa(binary), alt: label, class: 'diagram' });
}

function money(value) { return value === undefined || value === null ? '?' : '$' + Number(value).toFixed(2); }

// ---- home ----------------------------------------------------------------------------------
async function home() {
  const [templates, runs, products] = await Promise.all([api('/templates'), api('/runs'), api('/products')]);
  const templateList = el('ul', { 'aria-label': 'Templates' });
  for (const t of templates) {
    templateList.append(el('li', {},
      el('a', { href: `/templates/${t.id}`, text: t.id }), ` — ${t.scenes} scenes, `,
      el('span', { class: t.valid ? 'ok' : 'bad', text: t.valid ? 'valid' : `${t.errors} errors` }), ' · ',
      el('a', { href: `/templates/${t.id}/hydrate`, text: `Hydrate ${t.id}` })));
  }
  const productList = el('ul', { 'aria-label': 'Products' });
  for (const p of products) productList.append(el('li', { text: `${p.product_id} (${p.assets} files)` }));
  show(el('h1', { text: 'SceneFlow' }),
       el('section', {}, el('h2', { text: 'Templates' }), templateList, el('p', {}, el('a', { href: '/templates/new', text: 'New template' }))),
       el('section', {}, el('h2', { text: 'Recent runs' }), runTable(runs.slice(0, 10))),
       el('section', {}, el('h2', { text: 'Products' }), productList));
}

function runTable(runs) {
  const table = el('table', { 'aria-label': 'Runs' }, el('tr', {}, ...['Run', 'Template', 'Product', 'Status', 'Started', 'Spend'].map((h) => el('th', { text: h }))));
  for (const r of runs) {
    table.append(el('tr', {},
      el('td', {}, el('a', { href: `/runs/${r.run_id}`, text: r.run_id })), el('td', { text: r.template }),
      el('td', { text: r.product_id || '' }), el('td', { class: r.status, text: r.status + (r.simulated ? ' (simulated)' : '') }),
      el('td', { text: r.started_at }), el('td', { text: (r.spend_estimated ? '~' : '') + money(r.spend) })));
  }
  return table;
}

async function runs() {
  show(el('h1', { text: 'Runs' }), runTable(await api('/runs')));
}

// ---- template editor -----------------------------------------------------------------------
async function editor() {
  let id = pageID;
  let text = '';
  if (id) {
    const doc = await api(`/templates/${id}`);
    text = doc.template ? JSON.stringify(doc.template, null, 2) : '';
  } else {
    text = JSON.stringify({ schema_version: 1, id: 'new-template', name: '', aspect_ratio: '9:16', avatars: [], backgrounds: [],
                            dependencies: [], scenes: [{ id: 'hook', prompt: '', speaking: false, duration_s: 5 }] }, null, 2);
  }
  const idInput = el('input', { id: 'template-id', value: id || '', 'aria-label': 'Template id', pattern: '[a-z0-9][a-z0-9_-]*', required: true, readonly: !!id });
  const area = el('textarea', { id: 'editor', 'aria-label': 'Template (JSON)', spellcheck: 'false', rows: 28 });
  area.value = text;
  const status = el('p', { id: 'status', role: 'status' });
  const diagnostics = el('div', { id: 'diagnostics' });
  const diagram = el('div', { id: 'diagram', 'aria-label': 'Diagram' });
  const pick = (d) => {
    const lines = area.value.split('\n');
    let start = 0;
    for (let i = 0; i < d.line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    area.focus();
    area.setSelectionRange(start + Math.max(0, (d.column || 1) - 1), start + (lines[d.line - 1] || '').length);
  };
  const check = async () => {
    try {
      const result = await api('/validate', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: area.value });
      diagnostics.replaceChildren(el('h2', { text: result.valid ? 'No errors' : 'Problems' }), diagnosticList(result.diagnostics, pick));
      if (result.valid) {
        const svg = await api('/graph?format=svg', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: area.value });
        diagram.replaceChildren(svgImage(svg, 'The template\'s dependency diagram'));
      }
    } catch (error) { diagnostics.replaceChildren(errorBox(error)); }
  };
  let timer = null;
  area.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(check, 500); });
  const save = el('button', { type: 'button', text: 'Save', onclick: async () => {
    const target = idInput.value.trim();
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(target)) { status.textContent = 'The template id must be lowercase letters, digits, _ and -.'; return; }
    try {
      const result = await api(`/templates/${target}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: area.value });
      status.textContent = result.valid ? `Saved ${result.file}.` : `Saved ${result.file}, with ${result.diagnostics.filter((d) => d.severity === 'error').length} errors to fix.`;
      diagnostics.replaceChildren(diagnosticList(result.diagnostics, pick));
      if (!id) { id = target; history.replaceState(null, '', `/templates/${target}`); idInput.readOnly = true; }
    } catch (error) { status.textContent = 'Not saved: ' + error.message; }
  } });
  // The form: models per job kind from the registry, and the scenes' order. It edits the JSON
  // text (the one source of truth) and is rebuilt from it; while the text is not JSON it waits.
  const form = el('section', { id: 'form', 'aria-label': 'Form' });
  let registry = [];
  try { registry = await api('/models'); } catch (_) {}
  const parse = () => { try { const value = JSON.parse(area.value); return value && typeof value === 'object' && !Array.isArray(value) ? value : null; } catch (_) { return null; } };
  const write = (value) => { area.value = JSON.stringify(value, null, 2); area.dispatchEvent(new Event('input')); renderForm(); };
  function renderForm() {
    const value = parse();
    if (!value) { form.replaceChildren(el('p', { text: 'Fix the JSON to use the form.' })); return; }
    const kinds = ['first_frame', 'last_frame', 'camera_angle', 'audio', 'video'];
    const models = el('fieldset', {}, el('legend', { text: 'Models' }), ...kinds.map((kind) => {
      const select = el('select', { id: `model-${kind}`, 'aria-label': `Model for ${kind.replace('_', ' ')}` },
        el('option', { value: '', text: '(SceneFlow\'s default)' }),
        ...registry.filter((m) => (m.kinds || []).includes(kind)).map((m) => el('option', { value: m.id, text: `${m.id} (${m.provider}, ${m.price})` })));
      select.value = (value.models && value.models[kind]) || '';
      select.addEventListener('change', () => {
        const next = parse() || value;
        next.models = Object.assign({}, next.models);
        if (select.value) next.models[kind] = select.value; else delete next.models[kind];
        if (!Object.keys(next.models).length) delete next.models;
        write(next);
      });
      return el('p', {}, el('label', { for: select.id, text: `${kind.replace('_', ' ')} ` }), select);
    }));
    const scenes = Array.isArray(value.scenes) ? value.scenes : [];
    const move = (index, by) => {
      const next = parse();
      if (!next || !Array.isArray(next.scenes)) return;
      const [scene] = next.scenes.splice(index, 1);
      next.scenes.splice(index + by, 0, scene);
      write(next);
    };
    const list = el('ol', { 'aria-label': 'Scenes in order' }, ...scenes.map((scene, index) => el('li', {},
      `${scene.id || '(no id)'}${scene.speaking === false ? '' : scene.dialogue ? ' — “' + scene.dialogue + '”' : ''} `,
      el('button', { type: 'button', 'aria-label': `Move ${scene.id} up`, text: '↑', disabled: index === 0, onclick: () => move(index, -1) }), ' ',
      el('button', { type: 'button', 'aria-label': `Move ${scene.id} down`, text: '↓', disabled: index === scenes.length - 1, onclick: () => move(index, 1) }))));
    form.replaceChildren(models, el('fieldset', {}, el('legend', { text: 'Scenes' }), list));
  }
  let formTimer = null;
  area.addEventListener('input', () => { clearTimeout(formTimer); formTimer = setTimeout(renderForm, 500); });

  show(el('h1', { text: id ? `Template ${id}` : 'New template' }),
       el('p', {}, el('label', { for: 'template-id', text: 'Template id ' }), idInput, ' ', save, ' ',
         id ? el('a', { href: `/templates/${id}/hydrate`, text: 'Hydrate' }) : null),
       status,
       el('div', { class: 'columns' }, el('div', {}, form, el('label', { for: 'editor', text: 'Template (JSON)' }), area, diagnostics), diagram));
  renderForm();
  check();
}

// ---- hydrate -------------------------------------------------------------------------------
async function hydrate() {
  const id = pageID;
  const params = new URLSearchParams(location.search);
  const doc = await api(`/templates/${id}`);
  const template = doc.template || {};
  const slots = (template.dependencies || []).filter((s) => s.asset_key);
  const productInput = el('input', { id: 'product', 'aria-label': 'Product id', value: params.get('product_id') || '', pattern: '[a-z0-9][a-z0-9_-]*' });
  const framesFirst = el('input', { type: 'checkbox', id: 'frames-first' });
  const reason = el('p', { id: 'reason', role: 'status' });
  const plan = el('p', { id: 'plan' });
  const result = el('div', { id: 'result' });
  const stored = {};
  const inputs = {};
  const slotRows = slots.map((slot) => {
    const min = slot.min === undefined ? 1 : slot.min, max = slot.max === undefined ? 1 : slot.max;
    const input = el('input', { type: 'file', id: `slot-${slot.asset_key}`, 'aria-label': slot.asset_key, multiple: max > 1,
                                accept: slot.type === 'product_video' ? 'video/mp4,video/quicktime,video/webm' : 'image/png,image/jpeg,image/webp' });
    inputs[slot.asset_key] = { input, min, max };
    const have = el('span', { class: 'stored', id: `stored-${slot.asset_key}` });
    input.addEventListener('change', update);
    return el('li', { class: 'slot' }, el('label', { for: input.id, text: slot.asset_key }),
              ` (${slot.type}, ${min}–${max} files) `, input, ' ', have);
  });
  const overrides = [...(template.avatars || []).map((a) => ['avatar', a.id]), ...(template.backgrounds || []).map((b) => ['background', b.id])]
    .map(([kind, name]) => {
      const input = el('input', { type: 'file', id: `${kind}-${name}`, 'aria-label': `${kind}:${name}`, accept: 'image/png,image/jpeg,image/webp' });
      inputs[`${kind}:${name}`] = { input, min: 0, max: 1, override: true };
      return el('li', {}, el('label', { for: input.id, text: `${kind} ${name}` }), ' (replaces the template\'s image for this product) ', input);
    });
  const button = el('button', { type: 'button', id: 'hydrate', text: 'Hydrate', disabled: true });

  async function refreshStored() {
    const product = productInput.value.trim();
    for (const key of Object.keys(stored)) delete stored[key];
    if (/^[a-z0-9][a-z0-9_-]*$/.test(product)) {
      try { for (const a of await api(`/products/${product}/assets`)) (stored[a.asset_key] = stored[a.asset_key] || []).push(a.original_name || a.file); } catch (_) {}
    }
    for (const slot of slots) {
      const names = stored[slot.asset_key] || [];
      document.getElementById(`stored-${slot.asset_key}`).textContent = names.length ? `stored: ${names.join(', ')}` : 'nothing stored';
    }
    update();
  }

  function update() {
    const product = productInput.value.trim();
    const problems = [];
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(product)) problems.push('enter a product id (lowercase letters, digits, _ and -)');
    for (const [key, { input, min, max, override }] of Object.entries(inputs)) {
      if (override) continue;
      const count = input.files.length || (stored[key] || []).length;
      if (count < min) problems.push(`${key} needs ${min} file${min === 1 ? '' : 's'}`);
      if (input.files.length > max) problems.push(`${key} takes at most ${max}`);
    }
    button.disabled = problems.length > 0;
    reason.textContent = problems.length ? 'Hydrate is disabled: ' + problems.join('; ') + '.' : 'Ready.';
  }

  button.addEventListener('click', async () => {
    const product = productInput.value.trim();
    button.disabled = true;
    result.replaceChildren(el('p', { text: 'Uploading…' }));
    try {
      for (const [key, { input }] of Object.entries(inputs)) {
        if (!input.files.length) continue;
        const form = new FormData();
        for (const file of input.files) form.append('file', file, file.name);
        await api(`/products/${product}/assets/${encodeURIComponent(key)}`, { method: 'POST', body: form });
      }
      const body = { template: id, product_id: product };
      if (framesFirst.checked) body.targets = ['frames'];
      const run = await api('/runs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      location.href = `/runs/${run.id}`;
    } catch (error) { result.replaceChildren(errorBox(error)); update(); }
  });
  productInput.addEventListener('change', refreshStored);

  show(el('h1', { text: `Hydrate ${id}` }),
       el('p', {}, el('label', { for: 'product', text: 'Product id ' }), productInput),
       el('h2', { text: 'Product assets' }), el('ul', { class: 'slots' }, ...slotRows),
       overrides.length ? el('h2', { text: 'Avatar and background for this product' }) : null,
       overrides.length ? el('ul', {}, ...overrides) : null,
       el('p', {}, framesFirst, ' ', el('label', { for: 'frames-first', text: 'Frames first: make the frames for review before paying for clips' })),
       plan, reason, button, result);
  try {
    const estimate = await api('/plan', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(template) });
    plan.textContent = `Estimate: ${estimate.jobs_to_run} jobs, about ${Math.round(estimate.estimated_seconds)} s, ${money(estimate.estimated_cost)}.`;
  } catch (error) { plan.replaceChildren(errorBox(error)); }
  refreshStored();
}

// ---- a run, live ---------------------------------------------------------------------------
async function run() {
  const id = pageID;
  const heading = el('h1', { text: `Run ${id}` });
  const summary = el('p', { id: 'summary', role: 'status' });
  const body = el('div');
  show(heading, summary, body);
  let finished = false;
  let pending = null;
  async function render() {
    let report;
    try { report = await api(`/runs/${id}`); } catch (error) { body.replaceChildren(errorBox(error)); return; }
    const nodes = report.nodes || [];
    const counts = {};
    for (const n of nodes) counts[n.status] = (counts[n.status] || 0) + 1;
    summary.textContent = `${report.status}` + (report.stop_reason ? ` — ${report.stop_reason}` : '') + ' · ' +
      Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ') + (report.cost !== undefined ? ` · ${report.cost_estimated ? 'estimated ' : ''}cost ${money(report.cost)}` : '');
    const templateFile = report.template && report.template.path ? report.template.path.split('/').pop().replace(/\.(json|ya?ml)$/, '') : null;
    const table = el('table', { 'aria-label': 'Nodes' }, el('tr', {}, ...['Node', 'Status', 'Model', 'Take', 'Output', ''].map((h) => el('th', { text: h }))));
    for (const n of nodes) {
      if (!n.job) continue;
      const output = n.output && (n.status === 'succeeded' || n.status === 'cached')
        ? (/\.(png|jpe?g|webp)$/.test(n.output) ? el('img', { src: `/api/v1/runs/${id}/files/${encodeURIComponent(n.output)}`, alt: `${n.id} frame`, class: 'thumb' })
                                                 : el('a', { href: `/api/v1/runs/${id}/files/${encodeURIComponent(n.output)}`, text: n.output }))
        : (n.error ? el('span', { class: 'error-text', text: n.error }) : '');
      const regenerate = report.status !== 'running' && templateFile && report.product_id !== undefined
        ? el('button', { type: 'button', 'aria-label': `Regenerate ${n.id}`, text: 'Regenerate', onclick: async (e) => {
            e.target.disabled = true;
            try {
              const again = await api('/runs', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ template: templateFile, product_id: report.product_id || undefined, regenerate: [n.id] }) });
              location.href = `/runs/${again.id}`;
            } catch (error) { body.prepend(errorBox(error)); e.target.disabled = false; }
          } })
        : null;
      table.append(el('tr', { class: n.status }, el('td', { text: n.id }), el('td', { text: n.status }), el('td', { text: n.model || '' }),
                      el('td', { text: n.take || '' }), el('td', {}, output), el('td', {}, regenerate)));
    }
    const parts = [];
    if (report.final_video && (report.status === 'succeeded' || report.status === 'partial')) {
      parts.push(el('h2', { text: 'Final video' }),
                 el('video', { controls: true, 'aria-label': 'Final video', src: `/api/v1/runs/${id}/files/${encodeURIComponent(report.final_video)}`, preload: 'metadata' }));
    }
    parts.push(table);
    if (finished) parts.push(el('p', {}, el('img', { src: `/api/v1/runs/${id}/graph.svg`, alt: 'The run\'s diagram', class: 'diagram' })));
    body.replaceChildren(...parts);
  }
  const later = () => { if (!pending) pending = setTimeout(async () => { pending = null; await render(); }, 250); };
  const events = new EventSource(`/api/v1/runs/${id}/events`);
  events.onmessage = (message) => {
    let event = {};
    try { event = JSON.parse(message.data); } catch (_) {}
    if (event.event === 'run_finished') { finished = true; events.close(); clearTimeout(pending); pending = null; render(); }
    else later();
  };
  events.onerror = () => { if (!finished) { events.close(); finished = true; render(); } };
  await render();
}

const pages = { home, runs, editor, hydrate, run };
(pages[page] || home)().catch((error) => show(errorBox(error)));
"""#

    static let stylesheet = """
    body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
    header { background: #20232a; padding: .6em 1em; }
    header a { color: #fff; margin-right: 1.2em; text-decoration: none; font-weight: 600; }
    main { padding: 1em 1.5em; max-width: 1400px; }
    table { border-collapse: collapse; margin: .5em 0; }
    th, td { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left; vertical-align: middle; }
    .ok, .succeeded, .cached { color: #176f2c; }
    .bad, .failed, .error-text { color: #b00020; }
    .blocked, .skipped { color: #6b6b6b; }
    .error { border: 2px solid #b00020; background: #fff0f0; padding: .5em 1em; }
    .diagnostics li.error { color: #b00020; } .diagnostics li.warning { color: #8a5a00; }
    textarea { width: 100%; font: 13px/1.4 ui-monospace, monospace; }
    .columns { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.5em; }
    .diagram { max-width: 100%; background: #fff; border: 1px solid #ddd; }
    .thumb { height: 72px; border: 1px solid #ccc; }
    video { max-height: 70vh; background: #000; }
    button { font: inherit; padding: .35em 1em; }
    button[disabled] { opacity: .5; }
    """
}
