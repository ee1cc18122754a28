// ---- the template editor -------------------------------------------------------------------
//
// The text (JSON or YAML) is the one source of truth. The form is drawn from the template the
// text holds (JSON parsed here; YAML parsed by the server's /validate) and writes back to the
// text; the server validates every change, and each diagnostic is shown beside the field its
// JSON path names and in a list that links to it. Saving keeps invalid work (the server saves
// and flags it).

const jobKinds = ['first_frame', 'last_frame', 'camera_angle', 'audio', 'video'];
const slotTypes = ['product_image', 'product_video', 'logo', 'reference_image'];
const aspectRatios = ['9:16', '16:9', '1:1', '4:5'];
const frameSources = [
  ['generate', 'Generate with an image-edit model'],
  ['last_frame_of', 'Continue from a scene\'s last frame'],
  ['first_frame_of', 'Reuse a scene\'s first frame'],
  ['camera_angle', 'Another camera angle of a scene'],
];

// `scenes[0].first_frame.scene` from ['scenes', 0, 'first_frame', 'scene'].
function pathText(path) {
  return path.reduce((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part), '');
}

function fieldID(path) { return 'f-' + pathText(path).replace(/[^A-Za-z0-9]+/g, '-'); }

// A copy of `value` with `path` set (undefined or '' deletes it, and empty objects left behind).
function setAt(value, path, next) {
  const copy = structuredClone(value);
  let node = copy;
  for (let i = 0; i < path.length - 1; i++) {
    if (node[path[i]] === undefined || node[path[i]] === null || typeof node[path[i]] !== 'object') node[path[i]] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[path[i]];
  }
  const last = path[path.length - 1];
  if (next === undefined || next === '') {
    if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1); else delete node[last];
  } else {
    node[last] = next;
  }
  // Drop objects emptied by the deletion (`"audio": {}` says nothing).
  for (let depth = path.length - 1; depth > 0; depth--) {
    let parent = copy;
    for (let i = 0; i < depth - 1; i++) parent = parent[path[i]];
    const child = parent[path[depth - 1]];
    if (child && typeof child === 'object' && !Array.isArray(child) && !Object.keys(child).length) delete parent[path[depth - 1]];
    else break;
  }
  return copy;
}

function getAt(value, path) {
  return path.reduce((node, part) => (node === undefined || node === null ? undefined : node[part]), value);
}

async function editor() {
  let id = pageID;
  let format = 'json';
  let template = null; // the template the text holds, when it parses
  let registry = [];
  try { registry = await api('/models'); } catch (_) { registry = []; }
  let offlineServer = false;
  try { offlineServer = !!(await api('/health')).offline; } catch (_) { offlineServer = false; }
  if (id) {
    const doc = await api(`/templates/${id}`);
    template = doc.template || null;
    if (/\.ya?ml$/.test(doc.file || '')) format = 'yaml';
  } else {
    template = { schema_version: 1, id: 'new-template', name: '', aspect_ratio: '9:16', avatars: [], backgrounds: [], dependencies: [],
                 scenes: [{ id: 'hook', prompt: '', speaking: false, duration_s: 5 }] };
  }

  // The file's id. Changing it and saving saves a new file (save as); the old one stays.
  const idInput = el('input', { id: 'template-id', value: id || '', 'aria-label': 'Template id', pattern: idPatternAttribute, required: true });
  // A new template's file id and the id written inside it go together until they are made to
  // differ: typing the one changes the other while they are the same.
  if (!id) {
    let previous = '';
    idInput.addEventListener('input', () => {
      const value = idInput.value.trim();
      if (template && (!template.id || template.id === previous || template.id === 'new-template')) write(setAt(template, ['id'], value || 'new-template'), true);
      previous = value;
    });
  }
  const area = el('textarea', { id: 'editor', 'aria-label': 'Template text', spellcheck: 'false', rows: 30 });
  const formatSelect = el('select', { id: 'text-format', 'aria-label': 'Text format' },
    el('option', { value: 'json', text: 'JSON' }), el('option', { value: 'yaml', text: 'YAML' }));
  const status = el('p', { id: 'status', role: 'status' });
  const diagnostics = el('div', { id: 'diagnostics', 'aria-live': 'polite' });
  const diagram = el('div', { id: 'diagram', 'aria-label': 'Diagram' });
  const form = el('form', { id: 'form', 'aria-label': 'Template form', novalidate: true, onsubmit: (e) => e.preventDefault() });
  let lastDiagnostics = [];
  const collapsed = new Set(); // scenes folded in the form, by id
  let formShows = null; // the template (as JSON text) the form shows

  const textOf = (value) => (format === 'json' ? JSON.stringify(value, null, 2) : toYAML(value));
  const contentType = () => (format === 'json' ? 'application/json' : 'application/yaml');
  area.value = template ? textOf(template) : '';
  formatSelect.value = format;

  const models = (kind) => registry.filter((m) => (m.kinds || []).includes(kind));
  const defaultModel = (kind) => models(kind).find((m) => m.default);

  // Work the page still has to do (a validation in flight, a redraw due): shown on the form as
  // `data-pending`, so a script driving the page (the browser tests) can wait for it to settle.
  let pendingWork = 0;
  function pending(by) {
    pendingWork = Math.max(0, pendingWork + by);
    if (pendingWork) form.dataset.pending = String(pendingWork); else delete form.dataset.pending;
  }
  function later(ms, work) {
    pending(1);
    return setTimeout(() => { try { work(); } finally { pending(-1); } }, ms);
  }

  // ---- validation and the diagram ----
  let checking = 0;
  async function check() {
    const ticket = ++checking;
    pending(1);
    try {
      const result = await api('/validate', { method: 'POST', headers: { 'Content-Type': contentType() }, body: area.value });
      if (ticket !== checking) return;
      if (format === 'json') {
        try { template = JSON.parse(area.value); } catch (_) { template = null; }
      } else {
        template = result.template || null;
      }
      lastDiagnostics = result.diagnostics || [];
      const errors = lastDiagnostics.filter((d) => d.severity === 'error').length;
      const warnings = lastDiagnostics.length - errors;
      const heading = (result.valid ? 'No errors' : `${plural(errors, 'error')} to fix`) + (warnings ? `, ${plural(warnings, 'warning')}` : '');
      diagnostics.replaceChildren(el('h2', { text: heading }),
                                  diagnosticList(lastDiagnostics, pick));
      // Redrawn only when the template changed under it (an edit of the text): a form edit
      // is already on screen, and a redraw would take the control from under the pointer.
      if (!formFocused() && JSON.stringify(template) !== formShows) renderForm();
      placeDiagnostics();
      if (result.valid) {
        const svg = await api('/graph?format=svg', { method: 'POST', headers: { 'Content-Type': contentType() }, body: area.value });
        if (ticket === checking) {
          const image = svgImage(svg, 'The template\'s dependency diagram');
          image.classList.add('zoomable');
          image.tabIndex = 0;
          image.setAttribute('role', 'button');
          image.setAttribute('aria-label', 'The template\'s dependency diagram (enlarge)');
          image.addEventListener('click', () => zoom(image.src, 'The template\'s dependency diagram, enlarged'));
          image.addEventListener('keydown', activates(() => zoom(image.src, 'The template\'s dependency diagram, enlarged')));
          diagram.replaceChildren(image);
          diagram.classList.remove('stale');
        }
      } else if (ticket === checking && diagram.firstChild) {
        diagram.classList.add('stale');
        if (!diagram.querySelector('.stale-note')) {
          diagram.prepend(el('p', { class: 'stale-note', role: 'note', text: 'Out of date: this diagram shows the last valid version; fix the errors to redraw it.' }));
        }
      }
    } catch (error) {
      if (ticket === checking) diagnostics.replaceChildren(errorBox(error));
    } finally {
      pending(-1);
    }
  }
  let timer = null;
  const checkSoon = () => {
    if (timer) { clearTimeout(timer); pending(-1); }
    timer = later(400, () => { timer = null; check(); });
  };
  area.addEventListener('input', checkSoon);
  area.addEventListener('input', () => { dirty = true; });

  // A diagnostic's place: its field in the form when there is one, else its line in the text.
  function fieldFor(path) {
    let p = path || '';
    while (p) {
      const found = form.querySelector(`[data-path="${CSS.escape(p)}"]`);
      if (found) return found;
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      p = cut > 0 ? p.slice(0, cut) : '';
    }
    return null;
  }
  function pick(d) {
    const field = fieldFor(d.path);
    if (field && d.path) { field.scrollIntoView({ block: 'center' }); field.focus(); return; }
    if (!d.line) return;
    const lines = area.value.split('\n');
    let start = 0;
    for (let i = 0; i < d.line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    area.focus();
    area.setSelectionRange(start + Math.max(0, (d.column || 1) - 1), start + (lines[d.line - 1] || '').length);
  }
  function placeDiagnostics() {
    for (const box of form.querySelectorAll('.field-error')) box.replaceChildren();
    for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
    for (const d of lastDiagnostics) {
      const field = fieldFor(d.path);
      if (!field) continue;
      const box = document.getElementById(field.getAttribute('aria-describedby') || '');
      if (!box) continue;
      box.append(el('span', { class: d.severity, text: `${d.severity}: ${d.message}` + (d.suggestion ? ` — ${d.suggestion}` : '') }));
      if (d.severity === 'error') field.setAttribute('aria-invalid', 'true');
    }
  }
  const formFocused = () => form.contains(document.activeElement) && ['INPUT', 'TEXTAREA'].includes(document.activeElement.tagName)
    && document.activeElement.type !== 'checkbox' && document.activeElement.type !== 'file';

  // ---- writing the form's edits into the text ----
  // `redraw`: the form's shape changed (an item added, removed or moved, a choice that shows
  // other fields); plain typing leaves the form as it is, so the focus stays put.
  let dirty = false;
  window.addEventListener('beforeunload', (event) => { if (dirty) { event.preventDefault(); event.returnValue = ''; } });
  function write(next, redraw) {
    dirty = true;
    template = next;
    formShows = JSON.stringify(next);
    area.value = textOf(next);
    checkSoon();
    if (redraw) { renderForm(); placeDiagnostics(); }
  }
  const set = (path, value, redraw = false) => { if (template) write(setAt(template, path, value), redraw); };

  // ---- controls ----
  function describedControl(control, path) {
    const errorID = fieldID(path) + '-error';
    control.id = control.id || fieldID(path);
    control.dataset.path = pathText(path);
    control.setAttribute('aria-describedby', errorID);
    return el('span', { class: 'field-error', id: errorID });
  }
  function field(label, control, path, hint) {
    const error = describedControl(control, path);
    return el('div', { class: 'field' }, el('label', { for: control.id, text: label }), control, hint ? el('small', { text: hint }) : null, error);
  }
  function text(label, path, options = {}) {
    const value = getAt(template, path);
    const control = el(options.multiline ? 'textarea' : 'input', { rows: options.multiline ? 2 : null, placeholder: options.placeholder || null,
                                                                 pattern: options.pattern || null });
    control.value = value === undefined || value === null ? '' : String(value);
    control.addEventListener('input', () => set(path, control.value === '' && !options.keepEmpty ? undefined : control.value, false));
    // An id others refer to (selects, checkboxes) redraws the form when it is committed, a
    // moment later, so the field or button the user moved to gets the focus (or click) first.
    if (options.redrawOnChange) control.addEventListener('change', () => later(250, () => { renderForm(); placeDiagnostics(); }));
    return field(label, control, path, options.hint);
  }
  function number(label, path, options = {}) {
    const control = el('input', { type: 'number', min: options.min ?? null, step: options.step ?? 'any', inputmode: 'decimal' });
    const value = getAt(template, path);
    control.value = value === undefined ? '' : String(value);
    control.addEventListener('input', () => {
      const n = control.value === '' ? undefined : Number(control.value);
      set(path, Number.isNaN(n) ? control.value : n);
    });
    return field(label, control, path, options.hint);
  }
  function choice(label, path, options, settings = {}) {
    const control = el('select', {}, ...options.map(([value, text]) => el('option', { value, text })));
    const value = getAt(template, path) ?? settings.fallback;
    const current = value === undefined || value === null ? '' : String(value);
    if (!options.some(([v]) => v === current)) control.append(el('option', { value: current, text: `${current} (not in the list)` }));
    control.value = current;
    control.addEventListener('change', () => {
      const picked = control.value === '' ? undefined : settings.number ? Number(control.value) : control.value;
      if (settings.onPick) settings.onPick(picked); else set(path, picked, settings.redraw !== false);
    });
    return field(label, control, path, settings.hint);
  }
  function checkbox(label, path, onToggle) {
    const control = el('input', { type: 'checkbox' });
    control.checked = onToggle ? onToggle.checked : getAt(template, path) === true;
    control.addEventListener('change', () => (onToggle ? onToggle.change(control.checked) : set(path, control.checked, true)));
    const error = describedControl(control, path);
    return el('div', { class: 'field check' }, control, ' ', el('label', { for: control.id, text: label }), error);
  }
  function modelChoice(label, path, kind, fallback) {
    const none = fallback || `(default: ${(defaultModel(kind) || {}).id || 'the registry\'s'})`;
    return choice(label, path, [['', none], ...models(kind).map((m) => [m.id, `${m.id} (${m.provider}, ${m.price})`])], { redraw: true });
  }
  // A button; `id` lets the focus come back to it after a redraw, `then` names where the focus
  // goes if it is gone (a Remove button's item).
  function button(text, label, onclick, disabled = false, id = null, then = null) {
    return el('button', { type: 'button', text, 'aria-label': label, disabled, onclick, id, 'data-then': then });
  }
  function section(title, ...children) {
    return el('fieldset', {}, el('legend', { text: title }), ...children);
  }

  // An image for an avatar or background: a path, or an upload stored beside the templates.
  function imageField(label, path, owner_) {
    const owner = () => [idInput.value.trim(), template && template.id].find((v) => v && idPattern.test(v)) || 'template';
    const upload = el('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp', 'aria-label': `Upload an image for ${owner_}` });
    upload.addEventListener('change', async () => {
      if (!upload.files.length) return;
      const body = new FormData();
      body.append('file', upload.files[0], upload.files[0].name);
      status.textContent = 'Uploading…';
      try {
        const stored = await api(`/templates/${owner()}/images`, { method: 'POST', body });
        set(path, stored.path, true);
        status.textContent = `Stored ${stored.path}.`;
      } catch (error) { status.textContent = 'Not uploaded: ' + error.message; }
    });
    const row = text(label, path, { placeholder: 'images/… or https://…' });
    row.append(el('span', { class: 'upload' }, ' or ', upload));
    // A preview of a file inside the served folder (an https image is fetched at run time only).
    const value = getAt(template, path);
    if (typeof value === 'string' && value && !/^[a-z]+:/i.test(value)) {
      row.append(el('img', { class: 'thumb preview', alt: `${owner_}: ${value}`,
                             src: `/api/v1/templates/${owner()}/image?path=${encodeURIComponent(value)}` }));
    }
    return row;
  }

  // ---- the form ----
  // Drawn again after each change; the control that had the focus gets it back.
  function renderForm() {
    const active = document.activeElement;
    const inForm = active && form.contains(active);
    const key = inForm ? (active.id || active.getAttribute('aria-label')) : null;
    const then = inForm ? active.dataset.then : null;
    const caret = inForm && typeof active.selectionStart === 'number' ? [active.selectionStart, active.selectionEnd] : null;
    drawForm();
    if (!key) return;
    const again = document.getElementById(key) || form.querySelector(`[aria-label="${CSS.escape(key)}"]`);
    // Where focus goes when its control is gone or disabled (a removed item: its list's Add).
    const target = again && !again.disabled ? again : (then && document.getElementById(then));
    if (!target) return;
    target.focus();
    if (caret && target === again && typeof target.setSelectionRange === 'function') {
      try { target.setSelectionRange(caret[0], caret[1]); } catch (_) { /* not a text field */ }
    }
  }

  function drawForm() {
    formShows = JSON.stringify(template);
    if (!template || typeof template !== 'object' || Array.isArray(template)) {
      form.replaceChildren(el('p', { class: 'bad', text: `The text is not a template the form can show yet: fix the ${format.toUpperCase()} (the problems are listed below it).` }));
      return;
    }
    const t = template;
    const avatars = Array.isArray(t.avatars) ? t.avatars : [];
    const backgrounds = Array.isArray(t.backgrounds) ? t.backgrounds : [];
    const slots = Array.isArray(t.dependencies) ? t.dependencies : [];
    const scenes = Array.isArray(t.scenes) ? t.scenes : [];

    const top = section('Template',
      text('Id', ['id'], { pattern: idPatternAttribute, keepEmpty: true, hint: 'lowercase letters, digits, _ and -' }),
      text('Name', ['name']),
      choice('Aspect ratio', ['aspect_ratio'], [['', '9:16 (default)'], ...aspectRatios.map((r) => [r, r])]));

    const modelSet = section('Models', ...jobKinds.map((kind) => {
      const row = modelChoice(`Model for ${kind.replace('_', ' ')}`, ['models', kind], kind, '(SceneFlow\'s default)');
      row.querySelector('select').id = `model-${kind}`;
      row.querySelector('label').htmlFor = `model-${kind}`;
      row.querySelector('select').setAttribute('aria-label', `Model for ${kind.replace('_', ' ')}`);
      return row;
    }));

    const people = (kind, list, withVoice) => section(kind === 'avatars' ? 'Avatars' : 'Backgrounds',
      ...list.map((item, i) => el('div', { class: 'item', role: 'group', 'aria-label': `${kind === 'avatars' ? 'Avatar' : 'Background'} ${i + 1}` },
        text('Id', [kind, i, 'id'], { pattern: idPatternAttribute, keepEmpty: true, redrawOnChange: true }),
        imageField('Image', [kind, i, 'image'], `${kind === 'avatars' ? 'avatar' : 'background'} ${item.id || i + 1}`),
        withVoice ? text('Voice', [kind, i, 'voice'], { hint: 'a TTS voice id (ElevenLabs)' }) : null,
        button('Remove', `Remove ${kind === 'avatars' ? 'avatar' : 'background'} ${item.id || i + 1}`, () => set([kind, i], undefined, true), false, null, `add-${kind}`))),
      button(kind === 'avatars' ? 'Add avatar' : 'Add background', null, () => {
        // The template as it is now (typing does not redraw the form), not as it was drawn.
        const next = structuredClone(template);
        const now = Array.isArray(next[kind]) ? next[kind] : [];
        next[kind] = [...now, { id: uniqueID(now.map((x) => x.id), kind === 'avatars' ? 'person' : 'place'), image: '' }];
        write(next, true);
      }, false, `add-${kind}`));

    const slotSet = section('Dependency slots',
      el('p', { class: 'hint', text: 'The product files each hydration supplies. A slot with min 1 or more is required.' }),
      ...slots.map((slot, i) => el('div', { class: 'item slot', role: 'group', 'aria-label': `Slot ${i + 1}` },
        choice('Type', ['dependencies', i, 'type'], slotTypes.map((s) => [s, s])),
        text('Asset key', ['dependencies', i, 'asset_key'], { pattern: idPatternAttribute, keepEmpty: true, redrawOnChange: true }),
        number('Min', ['dependencies', i, 'min'], { min: 0, step: 1 }),
        number('Max', ['dependencies', i, 'max'], { min: 1, step: 1 }),
        button('Remove', `Remove slot ${slot.asset_key || i + 1}`, () => {
          const next = structuredClone(template);
          next.dependencies.splice(i, 1);
          for (const scene of next.scenes || []) {
            if (Array.isArray(scene.dependencies)) scene.dependencies = scene.dependencies.filter((k) => k !== slot.asset_key);
          }
          write(next, true);
        }, false, null, 'add-slot'))),
      button('Add slot', null, () => {
        const next = structuredClone(template);
        const now = Array.isArray(next.dependencies) ? next.dependencies : [];
        next.dependencies = [...now, { type: 'product_image', asset_key: uniqueID(now.map((s) => s.asset_key), 'product'), min: 1, max: 1 }];
        write(next, true);
      }, false, 'add-slot'));

    const sceneSet = section('Scenes', ...scenes.map((scene, i) => sceneFields(scene, i, scenes, avatars, backgrounds, slots)),
      button('Add scene', null, () => {
        const next = structuredClone(template);
        const now = Array.isArray(next.scenes) ? next.scenes : [];
        next.scenes = [...now, { id: uniqueID(now.map((s) => s.id), 'scene'), prompt: '', speaking: false }];
        write(next, true);
      }, false, 'add-scene'));
    form.replaceChildren(top, modelSet, people('avatars', avatars, true), people('backgrounds', backgrounds, false), slotSet, sceneSet);
  }

  function uniqueID(taken, stem) {
    for (let n = taken.length + 1; ; n++) if (!taken.includes(`${stem}-${n}`)) return `${stem}-${n}`;
  }

  function sceneFields(scene, i, scenes, avatars, backgrounds, slots) {
    const at = (...rest) => ['scenes', i, ...rest];
    const name = scene.id || `scene ${i + 1}`;
    const others = scenes.map((s) => s.id).filter((sid) => sid && sid !== scene.id);
    const move = (by) => {
      const next = structuredClone(template);
      const [moved] = next.scenes.splice(i, 1);
      next.scenes.splice(i + by, 0, moved);
      write(next, true);
    };
    // Which slots the scene shows: a group of checkboxes, one per slot.
    const shows = Array.isArray(scene.dependencies) ? scene.dependencies : [];
    const showsGroup = el('fieldset', { class: 'shows', tabindex: -1 }, el('legend', { text: 'Shows (dependency slots)' }),
      ...(slots.length ? slots.filter((s) => s.asset_key).map((slot) => {
        const box = el('input', { type: 'checkbox', id: fieldID(at('dependencies', slot.asset_key)), checked: shows.includes(slot.asset_key) });
        box.addEventListener('change', () => {
          const current = getAt(template, at('dependencies'));
          const was = Array.isArray(current) ? current : [];
          const keys = (template.dependencies || []).map((s) => s.asset_key).filter((k) => (k === slot.asset_key ? box.checked : was.includes(k)));
          set(at('dependencies'), keys.length ? keys : undefined, true);
        });
        return el('span', { class: 'check' }, box, ' ', el('label', { for: box.id, text: slot.asset_key }), ' ');
      }) : [el('small', { text: 'no slots declared' })]));
    const showsError = describedControl(showsGroup, at('dependencies'));
    showsGroup.append(showsError);

    // Duration: what the scene's video model makes, when the registry says.
    const videoModelID = (scene.video && scene.video.model) || (template.models && template.models.video) || (defaultModel('video') || {}).id;
    const videoModel = registry.find((m) => m.id === videoModelID);
    const durations = videoModel && Array.isArray(videoModel.durations_s) ? videoModel.durations_s : null;
    const duration = durations
      ? choice('Duration (s)', at('duration_s'), [...(durations.includes(5) ? [['', 'default (5 s)']] : []), ...durations.map((d) => [String(d), `${d} s`])],
               { number: true, hint: `what ${videoModelID} makes` })
      : number('Duration (s)', at('duration_s'), { min: 0.5, step: 0.5, hint: 'default 5' });

    const speaking = scene.speaking !== undefined ? scene.speaking === true : !!(scene.dialogue && scene.dialogue.trim());

    // First frame: how it is made, and from which scene.
    const first = scene.first_frame || { source: 'generate' };
    const firstSource = choice('First frame', at('first_frame', 'source'), frameSources, {
      fallback: 'generate',
      onPick: (source) => {
        const spec = { source: source || 'generate' };
        if (source === 'last_frame_of') spec.scene = (scenes[i - 1] || {}).id || others[0];
        else if (source === 'first_frame_of' || source === 'camera_angle') spec.scene = others[0];
        set(at('first_frame'), spec.source === 'generate' ? undefined : spec, true);
      },
    });
    const firstDetails = [];
    if (first.source === 'generate' || !first.source) {
      firstDetails.push(modelChoice('First frame model', at('first_frame', 'model'), 'first_frame',
                                    `(template's: ${(template.models && template.models.first_frame) || (defaultModel('first_frame') || {}).id || 'default'})`));
    } else {
      firstDetails.push(choice('From scene', at('first_frame', 'scene'), others.map((o) => [o, o])));
      if (first.source === 'camera_angle') {
        firstDetails.push(text('Camera', at('first_frame', 'camera'), { keepEmpty: true, placeholder: 'close-up, from the left' }),
                          choice('Of its', at('first_frame', 'frame'), [['', 'first frame'], ['last', 'last frame']]),
                          modelChoice('Camera angle model', at('first_frame', 'model'), 'camera_angle'));
      }
    }

    const last = scene.last_frame;
    const lastFields = [checkbox('Last frame (for models that take start and end frames)', at('last_frame'), {
      checked: !!last, change: (on) => set(at('last_frame'), on ? { source: 'generate' } : undefined, true),
    })];
    if (last) {
      lastFields.push(text('Last frame prompt', at('last_frame', 'prompt'), { multiline: true, placeholder: 'the end state' }),
                      modelChoice('Last frame model', at('last_frame', 'model'), 'last_frame',
                                  `(template's: ${(template.models && template.models.last_frame) || (defaultModel('last_frame') || {}).id || 'default'})`));
    }

    const folded = collapsed.has(scene.id || `#${i}`);
    const fold = el('button', { type: 'button', class: 'fold', 'aria-expanded': folded ? 'false' : 'true', 'aria-label': `${folded ? 'Expand' : 'Collapse'} scene ${name}`,
                                text: folded ? 'Expand' : 'Collapse', onclick: () => {
      const key = scene.id || `#${i}`;
      if (collapsed.has(key)) collapsed.delete(key); else collapsed.add(key);
      renderForm();
      placeDiagnostics();
    } });
    if (folded) {
      return el('fieldset', { class: 'scene folded', 'aria-label': `Scene ${name}` },
        el('legend', { text: `Scene ${i + 1}: ${name}` }), el('div', { class: 'actions' }, fold),
        el('p', { class: 'hint', text: [scene.speaking || scene.dialogue ? 'speaking' : 'silent', scene.duration_s ? `${scene.duration_s} s` : null,
                                        (scene.first_frame && scene.first_frame.source) || 'generated first frame'].filter(Boolean).join(' · ') }));
    }
    return el('fieldset', { class: 'scene', 'aria-label': `Scene ${name}` },
      el('legend', { text: `Scene ${i + 1}: ${name}` }),
      el('div', { class: 'actions' }, fold, ' ',
        button('↑', `Move ${name} up`, () => move(-1), i === 0, null, fieldID(['scenes', i - 1, 'id'])), ' ',
        button('↓', `Move ${name} down`, () => move(1), i === scenes.length - 1, null, fieldID(['scenes', i + 1, 'id'])), ' ',
        button('Remove', `Remove scene ${name}`, () => set(['scenes', i], undefined, true), scenes.length === 1, null, 'add-scene')),
      text('Id', at('id'), { pattern: idPatternAttribute, keepEmpty: true, redrawOnChange: true }),
      choice('Avatar', at('avatar'), [['', '(none: a product-only scene)'], ...avatars.map((a) => [a.id, a.id])]),
      choice('Background', at('background'), [['', '(none)'], ...backgrounds.map((b) => [b.id, b.id])]),
      showsGroup,
      text('Prompt', at('prompt'), { multiline: true, placeholder: 'what happens, for the video model' }),
      checkbox('Speaking', at('speaking'), { checked: speaking, change: (on) => set(at('speaking'), on, true) }),
      speaking ? text('Dialogue', at('dialogue'), { multiline: true, placeholder: 'what the avatar says' }) : null,
      speaking ? text('Voice', at('audio', 'voice'), { hint: 'overrides the avatar\'s voice' }) : null,
      speaking ? modelChoice('Voice model', at('audio', 'model'), 'audio', '(template\'s)') : null,
      duration,
      modelChoice('Video model', at('video', 'model'), 'video', `(template's: ${videoModelID || 'default'})`),
      el('fieldset', { class: 'frames' }, el('legend', { text: 'Frames' }), firstSource, ...firstDetails, ...lastFields));
  }

  // ---- the text format ----
  formatSelect.addEventListener('change', () => {
    const wanted = formatSelect.value;
    if (!template) { formatSelect.value = format; status.textContent = `Fix the ${format.toUpperCase()} before switching the format.`; return; }
    format = wanted;
    area.value = textOf(template);
    status.textContent = wanted === 'yaml' ? 'Showing YAML. A template saved for the first time as YAML becomes a .yaml file.' : 'Showing JSON.';
    check();
  });

  // ---- saving ----
  const save = el('button', { type: 'button', text: 'Save', onclick: async () => {
    const target = idInput.value.trim() || (template && typeof template.id === 'string' ? template.id : '');
    if (!idPattern.test(target)) { status.textContent = 'The template id must be lowercase letters, digits, _ and -.'; idInput.focus(); return; }
    const savingAs = id && target !== id;
    if (savingAs || !id) {
      // A new file never replaces another template.
      let existing = [];
      try { existing = await api('/templates'); } catch (error) { status.textContent = 'Not saved: ' + error.message; return; }
      if (existing.some((t) => t.id === target)) { status.textContent = `A template ${target} exists already; choose another id.`; idInput.focus(); return; }
    }
    try {
      const result = await api(`/templates/${target}`, { method: 'PUT', headers: { 'Content-Type': contentType() }, body: area.value });
      const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
      const saved = result.valid ? `Saved ${result.file}.` : `Saved ${result.file}, with ${plural(errors, 'error')} to fix.`;
      status.textContent = savingAs ? `${saved} The template ${id} stays as it was until it is deleted.` : saved;
      dirty = false;
      if (target !== id) {
        id = target;
        history.replaceState(null, '', `/templates/${target}`);
        document.querySelector('h1').textContent = `Template ${target}`;
        hydrateLink.hidden = false;
        hydrateLink.href = `/templates/${target}/hydrate`;
      }
    } catch (error) { status.textContent = 'Not saved: ' + error.message; }
  } });
  const hydrateLink = el('a', { href: id ? `/templates/${id}/hydrate` : '#', text: 'Hydrate', hidden: !id });

  show(el('h1', { text: id ? `Template ${id}` : 'New template' }),
       offlineServer ? el('p', { class: 'notice', role: 'note', text: 'This server runs offline: every job runs on the local engine (local models, $0). The models chosen here are the ones used when it runs with provider keys.' }) : null,
       el('div', { class: 'toolbar sticky' }, el('label', { for: 'template-id', text: 'Template id ' }), idInput, ' ', save, ' ', hydrateLink, status),
       el('div', { class: 'columns' },
         el('div', {}, form),
         el('div', {}, diagram, diagnostics,
           el('details', { class: 'raw', open: true }, el('summary', { text: 'Text' }),
             el('p', {}, el('label', { for: 'text-format', text: 'Text format ' }), formatSelect,
               el('small', { text: ' The form and the text are the same template; edit either.' })),
             el('label', { for: 'editor', class: 'visually-hidden', text: 'Template text' }), area))));
  area.addEventListener('input', () => {
    clearTimeout(area.redraw);
    area.redraw = setTimeout(() => {
      if (format !== 'json') return; // YAML is parsed by the server: check() redraws
      try { template = JSON.parse(area.value); } catch (_) { template = null; }
      if (!formFocused() && JSON.stringify(template) !== formShows) { renderForm(); placeDiagnostics(); }
    }, 600);
  });
  renderForm();
  check();
}
