// ---- a run, live --------------------------------------------------------------------------
//
// A storyboard: per scene, its frames as images, its voice-over as an audio player, its clip as
// a video, each node's status (in words), model, cost, attempts and error, and its details
// (the prompt sent, inputs, every attempt, why it was made or reused). Nothing spends without
// a dialog saying what it will remake and what it will cost. A failure stays in place, in
// words, with its fix one step away: `Replace <input>` or `Retry <node>`. Takes large enough to
// judge, zoomed or compared side by side, with a pick control. "Continue to clips" after a
// frames-first run; the final cut and its files to download; cancel while it runs; the
// diagram coloured live.

const frameKinds = new Set(['first_frame', 'last_frame', 'camera_angle']);

function fileURL(run, name) { return `/api/v1/runs/${run}/files/${encodeURIComponent(name)}`; }

function isImage(name) { return /\.(png|jpe?g|webp)$/i.test(name || ''); }

// A key handler for an element with role=button: Enter and Space act, as on a button.
function activates(action) {
  return (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); action(); } };
}

// A large view of one image, in a dialog (Escape or Close leaves it).
function zoom(src, label) {
  const dialog = el('dialog', { class: 'zoom', 'aria-label': label },
    el('img', { src, alt: label }), el('p', {}, el('button', { type: 'button', text: 'Close', onclick: () => { dialog.close(); } })));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

function media(run, node) {
  if (!node.output || !(node.status === 'succeeded' || node.status === 'cached')) return null;
  const src = fileURL(run, node.output);
  if (isImage(node.output)) {
    return el('img', { src, alt: `${node.id}: the frame`, class: 'frame zoomable', tabindex: 0, role: 'button',
                       'aria-label': `${node.id}: the frame (enlarge)`, onclick: () => zoom(src, `${node.id}, enlarged`),
                       onkeydown: activates(() => zoom(src, `${node.id}, enlarged`)) });
  }
  if (/\.(mp3|wav|m4a)$/i.test(node.output)) return el('audio', { src, controls: true, preload: 'none', 'aria-label': `${node.id}: the voice-over` });
  if (/\.(mp4|mov|webm)$/i.test(node.output)) return el('video', { src, controls: true, preload: 'metadata', class: 'clip', 'aria-label': `${node.id}: the clip` });
  return el('a', { href: src, text: node.output });
}

// What an input node is called where a person fixes it: the slot's asset key, or the avatar's
// or background's id; and the key the product store takes for it.
function inputName(nodeID) { return nodeID.slice(nodeID.indexOf(':') + 1); }
function storeKey(nodeID) { return nodeID.startsWith('asset:') ? inputName(nodeID) : nodeID; }
function inputWords(nodeID) {
  const name = inputName(nodeID);
  if (nodeID.startsWith('asset:')) return `the product's file for slot "${name}"`;
  if (nodeID.startsWith('avatar:')) return `the image of avatar "${name}"`;
  if (nodeID.startsWith('background:')) return `the image of background "${name}"`;
  return nodeID;
}

async function run() {
  const id = pageID;
  const heading = el('h1', { text: `Run ${id}` });
  const summary = el('p', { id: 'summary', role: 'status', 'aria-live': 'polite' });
  const controls = el('div', { class: 'run-controls' });
  const notices = el('div', { id: 'notices' });
  const problems = el('section', { id: 'problems', 'aria-label': 'What failed' });
  const board = el('div', { id: 'storyboard' });
  const finalPart = el('section', { id: 'final', 'aria-label': 'Final cut' });
  const diagramPart = el('section', { id: 'run-diagram', 'aria-label': 'Diagram' });
  show(heading, summary, controls, notices, problems, finalPart, board, diagramPart);
  const openTakes = new Set();
  const openDetails = new Set();
  let finished = false;
  let pending = null;
  let drawn = 0;
  let offlineServer = false;
  try { offlineServer = !!(await api('/health')).offline; } catch (_) { offlineServer = false; }

  const templateFileOf = (report) => (report.template && report.template.path
    ? report.template.path.split('/').pop().replace(/\.(json|ya?ml)$/, '') : null);
  // A run that stopped at its targets (frames first) says so on the nodes it left out.
  const isFramesOnly = (report) => report.status !== 'running' && report.status !== 'queued' && !report.final_video
    && (report.nodes || []).some((n) => `${n.reason || ''} ${n.error || ''}`.includes('not needed by this run\'s targets'));

  async function startRun(body, control) {
    if (control) control.disabled = true;
    try {
      const next = await postJSON('/runs', body);
      location.href = `/runs/${next.id}`;
    } catch (error) { notices.replaceChildren(errorBox(error)); if (control) control.disabled = false; }
  }

  // ---- regenerate: what it remakes and costs, before anything is spent ----
  function regenerate(node, report) {
    const templateFile = templateFileOf(report);
    const framesOnly = isFramesOnly(report);
    const scopes = [
      ['only', 'This node only', `a new take of ${node.id}; what depends on it waits, as frames-first does`, [node.id]],
      ['after', 'This node and everything after it', framesOnly ? 'a new take, then the frames that depend on it' : 'a new take, then everything that depends on it, to the cut',
       framesOnly ? ['frames'] : null],
    ];
    let scope = 'only';
    const list = el('ul', { class: 'remade', 'aria-label': 'Nodes to remake' });
    const cost = el('p', { class: 'cost', role: 'status', 'aria-live': 'polite' });
    const go = el('button', { type: 'button', text: 'Regenerate', disabled: true });
    const cancel = el('button', { type: 'button', text: 'Cancel' });
    const choices = el('fieldset', {}, el('legend', { text: 'What to make again' }), ...scopes.map(([value, label, hint]) => {
      const radio = el('input', { type: 'radio', name: 'scope', id: `scope-${value}`, value, checked: value === scope,
                                  onchange: () => { scope = value; preview(); } });
      return el('div', { class: 'choice' }, radio, ' ', el('label', { for: `scope-${value}`, text: label }), el('small', { text: ` — ${hint}` }));
    }));
    // The new take's prompt (frames and clips), seed and how many variations.
    const promptable = frameKinds.has(node.kind) || node.kind === 'video';
    const promptBox = promptable ? el('textarea', { id: 'take-prompt', rows: 4, 'aria-label': 'Prompt of the new take' }) : null;
    if (promptBox) promptBox.value = node.prompt || '';
    const seedBox = el('input', { id: 'take-seed', type: 'number', min: 0, step: 1, inputmode: 'numeric', placeholder: 'the take number', 'aria-label': 'Seed of the new take' });
    const variationsBox = el('input', { id: 'take-variations', type: 'number', min: 1, max: 8, step: 1, value: 1, 'aria-label': 'Variations' });
    const takeFields = el('fieldset', {}, el('legend', { text: 'The new take' }),
      promptBox ? el('p', {}, el('label', { for: 'take-prompt', text: 'Prompt (edit it for this take only)' }), promptBox) : null,
      el('p', {}, el('label', { for: 'take-seed', text: 'Seed ' }), seedBox, el('small', { text: ' for models that take one' })),
      el('p', {}, el('label', { for: 'take-variations', text: 'Variations ' }), variationsBox, el('small', { text: ' takes made at once, to compare and pick (1 to 8)' })));
    variationsBox.addEventListener('input', () => preview());
    const dialog = el('dialog', { class: 'regenerate', 'aria-label': `Regenerate ${node.id}?` },
      el('h2', { text: `Regenerate ${node.id}?` }), choices, takeFields, el('h3', { text: 'Would be made' }), list, cost,
      el('p', { class: 'buttons' }, go, ' ', cancel));
    const variations = () => Math.min(8, Math.max(1, Math.round(Number(variationsBox.value) || 1)));
    dialog.addEventListener('close', () => dialog.remove());
    cancel.addEventListener('click', () => dialog.close());
    const targetsOf = () => scopes.find((s) => s[0] === scope)[3];
    let ticket = 0;
    async function preview() {
      const mine = ++ticket;
      go.disabled = true;
      list.replaceChildren(el('li', { text: 'Working out what would be made…' }));
      cost.textContent = '';
      try {
        const doc = await api(`/templates/${templateFile}`);
        const query = new URLSearchParams({ regenerate: node.id });
        if (report.product_id) query.set('product_id', report.product_id);
        if (report.offline) query.set('offline', 'true');
        const targets = targetsOf();
        if (targets) query.set('targets', targets.join(','));
        const plan = await api('/plan?' + query, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(doc.template) });
        if (mine !== ticket) return;
        const made = (plan.jobs || []).filter((j) => j.status === 'runs');
        const extra = variations() - 1;
        const own = made.find((j) => j.id === node.id);
        list.replaceChildren(...made.map((j) => el('li', { text: `${j.id}${j.id === node.id && extra ? ` ×${extra + 1}` : ''} — ${j.model || '?'}, about ${money(j.cost * (j.id === node.id ? extra + 1 : 1))}` })));
        const local = report.offline || offlineServer;
        const total = Number(plan.estimated_cost || 0) + (own ? extra * Number(own.cost || 0) : 0);
        cost.textContent = `${plural(made.length + (own ? extra : 0), 'job')} would be made, estimated ${money(total)}`
          + (local ? ' (on the local engine: nothing is spent)' : ' at list prices');
        go.disabled = made.length === 0;
      } catch (error) {
        if (mine === ticket) { list.replaceChildren(); cost.replaceChildren(errorBox(error)); }
      }
    }
    go.addEventListener('click', () => {
      const body = { template: templateFile, product_id: report.product_id || undefined, regenerate: [node.id],
                     targets: targetsOf() || undefined, offline: report.offline || undefined };
      // The box's text when it was changed, or when this take itself was made from an edited prompt
      // (the template's prompt would come back otherwise).
      const editedBefore = /edited prompt/.test(node.reason || '');
      if (promptBox && promptBox.value.trim() && (promptBox.value !== (node.prompt || '') || editedBefore)) body.prompts = { [node.id]: promptBox.value };
      if (seedBox.value !== '') body.seeds = { [node.id]: Math.max(0, Math.round(Number(seedBox.value))) };
      if (variations() > 1) body.variations = variations();
      startRun(body, go);
    });
    document.body.append(dialog);
    dialog.showModal();
    preview();
  }

  // ---- takes: large, zoomed, compared, picked ----
  async function takesOf(node, into, report) {
    into.replaceChildren(el('p', { text: 'Loading takes…' }));
    try {
      const list = await api(`/runs/${id}/nodes/${encodeURIComponent(node.id)}/takes`);
      const compared = new Set();
      const comparison = el('div', { class: 'comparison' });
      const showComparison = () => {
        const chosen = list.takes.filter((t) => compared.has(t.take) && t.url);
        if (chosen.length !== 2) { comparison.replaceChildren(); return; }
        comparison.replaceChildren(el('section', { class: 'compare', 'aria-label': `Take ${chosen[0].take} and take ${chosen[1].take} of ${node.id}, side by side` },
          ...chosen.map((t) => el('figure', {}, el('img', { src: t.url, alt: `${node.id}, take ${t.take}` }), el('figcaption', { text: `Take ${t.take}` })))));
      };
      const row = el('div', { class: 'takes', role: 'list', 'aria-label': `The takes of ${node.id}` });
      for (const take of list.takes) {
        const marks = [take.take === list.picked ? 'picked' : null, take.take === list.used ? 'used by this run' : null].filter(Boolean);
        const label = `${node.id}, take ${take.take}`;
        const preview = take.url && frameKinds.has(node.kind)
          ? el('img', { src: take.url, alt: label, class: 'frame zoomable', tabindex: 0, role: 'button', 'aria-label': `${label} (enlarge)`,
                        onclick: () => zoom(take.url, `${label}, enlarged`), onkeydown: activates(() => zoom(take.url, `${label}, enlarged`)) })
          : take.url && node.kind === 'video' ? el('video', { src: take.url, controls: true, preload: 'metadata', class: 'clip', 'aria-label': label })
          : take.url && node.kind === 'audio' ? el('audio', { src: take.url, controls: true, preload: 'none', 'aria-label': label })
          : take.url ? el('a', { href: take.url, text: `take ${take.take}` }) : el('span', { class: 'bad', text: take.missing || 'missing' });
        const pickButton = el('button', { type: 'button', text: take.take === list.picked ? 'Picked' : 'Pick', 'aria-label': `Pick take ${take.take} of ${node.id}`,
                                          disabled: !take.url || take.take === list.picked, onclick: async (e) => {
          e.target.disabled = true;
          try {
            await api(`/runs/${id}/nodes/${encodeURIComponent(node.id)}/takes/${take.take}/pick`, { method: 'POST' });
            notices.replaceChildren(el('p', { role: 'status', text: `Take ${take.take} of ${node.id} picked: later runs use it${take.take === list.used ? '' : ' and remake what depends on it'}.` }));
            await takesOf(node, into, report);
            render();
          } catch (error) { notices.replaceChildren(errorBox(error)); e.target.disabled = false; }
        } });
        const compareBox = take.url && frameKinds.has(node.kind)
          ? el('label', { class: 'compare-choice' }, el('input', { type: 'checkbox', 'aria-label': `Compare take ${take.take} of ${node.id}`, onchange: (e) => {
              if (e.target.checked) compared.add(take.take); else compared.delete(take.take);
              while (compared.size > 2) compared.delete([...compared][0]);
              for (const box of row.querySelectorAll('.compare-choice input')) box.checked = compared.has(Number(box.dataset.take));
              showComparison();
            }, 'data-take': take.take }), ' Compare')
          : null;
        row.append(el('figure', { role: 'listitem', class: marks.includes('picked') ? 'take picked' : 'take' }, preview,
          el('figcaption', { text: `Take ${take.take}${marks.length ? ' (' + marks.join(', ') + ')' : ''}${take.model ? ' · ' + take.model : ''}` }),
          pickButton, ' ', compareBox));
      }
      into.replaceChildren(row, comparison);
    } catch (error) { into.replaceChildren(errorBox(error)); }
  }

  // ---- a node's details: what was sent, what it read, every attempt, why it ran ----
  function details(node, report) {
    const byID = Object.fromEntries((report.nodes || []).map((n) => [n.id, n]));
    const facts = el('dl', { class: 'facts-list' });
    const add = (term, value) => { if (value !== undefined && value !== null && value !== '') facts.append(el('dt', { text: term }), el('dd', { text: String(value) })); };
    add('Status', node.status);
    add('Model', node.model ? `${node.model}${node.provider ? ` (${node.provider})` : ''}${node.offline ? ', on the local engine' : ''}` : null);
    add('Take', node.take);
    add('Request id', node.request_id);
    add('Cost', node.cost !== undefined && node.cost !== null ? (node.cost_estimated ? 'about ' : '') + money(node.cost) : null);
    add('Why', node.reason);
    add('Made by run', node.made_by && node.made_by !== report.run_id ? node.made_by : null);
    const prompt = node.prompt ? el('section', {}, el('h5', { text: 'Prompt sent' }), el('pre', { class: 'prompt', text: node.prompt })) : null;
    const reads = (node.reads || []).map((rid) => {
      const input = byID[rid] || { id: rid };
      let picture = null;
      if (input.output && isImage(input.output) && (input.status === 'succeeded' || input.status === 'cached')) {
        picture = el('img', { src: fileURL(id, input.output), alt: rid, class: 'thumb' });
      } else if (rid.startsWith('asset:') && report.product_id && input.sha256) {
        picture = el('img', { src: `/api/v1/products/${report.product_id}/assets/${encodeURIComponent(inputName(rid))}/files/${input.sha256}`, alt: rid, class: 'thumb' });
      }
      return el('figure', {}, picture, el('figcaption', { text: `${rid}${input.status ? ` (${input.status})` : ''}` }));
    });
    const attempts = node.attempt_log && node.attempt_log.length
      ? el('table', { 'aria-label': `Attempts of ${node.id}` },
        el('thead', {}, el('tr', {}, ...['Attempt', 'Started', 'Took', 'Outcome'].map((h) => el('th', { scope: 'col', text: h })))),
        el('tbody', {}, ...node.attempt_log.map((a, n) => el('tr', {},
          el('td', { text: String(n + 1) }), el('td', { text: new Date(a.started_at).toLocaleTimeString() }),
          el('td', { text: `${Number(a.seconds).toFixed(2)} s` }), el('td', { class: a.error ? 'bad' : 'ok', text: a.error || 'made' })))))
      : el('p', { class: 'hint', text: node.attempts ? plural(node.attempts, 'attempt') : 'No attempt in this run.' });
    return el('section', { class: 'details', 'aria-label': `${node.id}: details` }, facts, prompt,
      reads.length ? el('section', {}, el('h5', { text: 'Inputs' }), el('div', { class: 'reads' }, ...reads)) : null,
      el('section', {}, el('h5', { text: 'Attempts' }), attempts));
  }

  function nodeCard(node, report, canAct) {
    const templateFile = templateFileOf(report);
    const ran = !['skipped', 'pending', 'queued'].includes(node.status);
    const facts = !ran ? [node.status] : [`${node.status}${node.status === 'cached' ? ' (from the cache)' : ''}`, node.model || null,
                   node.cost !== undefined && node.cost !== null ? (node.cost_estimated ? '~' : '') + money(node.cost) : null,
                   node.attempts ? plural(node.attempts, 'attempt') : null, node.take ? `take ${node.take}` : null].filter(Boolean);
    const open = openTakes.has(node.id) || openDetails.has(node.id);
    const card = el('article', { class: `node ${node.status}${open ? ' open' : ''}`, 'aria-label': node.id },
      el('h4', { text: node.id }),
      el('p', { class: 'facts', text: facts.join(' · ') }),
      media(id, node),
      node.error ? el('p', node.status === 'failed' ? { class: 'error-text', role: 'alert', text: node.error } : { class: 'hint', text: node.error }) : null);
    const detailsBox = el('div', { class: 'details-box' });
    const takesBox = el('div', { class: 'takes-box' });
    const toggle = (set, name, box, fillBox) => (e) => {
      if (set.has(node.id)) { set.delete(node.id); box.replaceChildren(); e.target.setAttribute('aria-expanded', 'false'); }
      else { set.add(node.id); fillBox(); e.target.setAttribute('aria-expanded', 'true'); }
      card.classList.toggle('open', openTakes.has(node.id) || openDetails.has(node.id));
    };
    const actions = el('div', { class: 'actions' });
    if (node.job) {
      actions.append(el('button', { type: 'button', 'aria-label': `Details of ${node.id}`, 'aria-expanded': openDetails.has(node.id) ? 'true' : 'false', text: 'Details',
                                    onclick: toggle(openDetails, 'details', detailsBox, () => detailsBox.replaceChildren(details(node, report))) }), ' ');
    }
    if (node.job && canAct && templateFile && ['succeeded', 'cached', 'failed'].includes(node.status)) {
      actions.append(el('button', { type: 'button', 'aria-label': `Regenerate ${node.id}`, 'aria-haspopup': 'dialog', text: 'Regenerate',
                                    onclick: () => regenerate(node, report) }), ' ');
      if ((frameKinds.has(node.kind) || node.kind === 'video' || node.kind === 'audio') && (node.cache_key || node.job_key) && !report.simulated) {
        actions.append(el('button', { type: 'button', 'aria-label': `Takes of ${node.id}`, 'aria-expanded': openTakes.has(node.id) ? 'true' : 'false', text: 'Takes',
                                      onclick: toggle(openTakes, 'takes', takesBox, () => takesOf(node, takesBox, report)) }));
      }
    }
    card.append(actions, detailsBox, takesBox);
    if (openDetails.has(node.id)) detailsBox.replaceChildren(details(node, report));
    if (openTakes.has(node.id)) takesOf(node, takesBox, report);
    return card;
  }

  // ---- what failed, in words, with its fix ----
  function problemList(report, canAct) {
    const nodes = report.nodes || [];
    const failed = nodes.filter((n) => n.status === 'failed');
    if (!failed.length) return [];
    const templateFile = templateFileOf(report);
    const isInput = (nodeID) => /^(asset|avatar|background):/.test(nodeID || '');
    const faultOf = (n) => (isInput(n.input) ? n.input : isInput(n.id) ? n.id : null);
    const retryTargetsOf = (n) => (n.job ? [n.id] : nodes.filter((m) => m.job && (m.reads || []).includes(n.id) && ['failed', 'blocked'].includes(m.status)).map((m) => m.id));
    // One Replace per input at fault: it retries every node that failed on it.
    const faults = new Map();
    for (const n of failed) {
      const fault = faultOf(n);
      if (fault) faults.set(fault, [...(faults.get(fault) || []), ...retryTargetsOf(n)]);
    }
    const replaces = new Map();
    if (canAct && templateFile && report.product_id) {
      for (const [fault, targets] of faults) {
        const name = inputName(fault);
        const pickerID = `replace-${fault.replace(/[^A-Za-z0-9_-]/g, '-')}`;
        const picker = el('input', { type: 'file', id: pickerID, accept: 'image/png,image/jpeg,image/webp,video/mp4,video/quicktime,video/webm' });
        picker.addEventListener('change', async () => {
          if (!picker.files.length) return;
          picker.disabled = true;
          const data = new FormData();
          for (const file of picker.files) data.append('file', file, file.name);
          try {
            await api(`/products/${encodeURIComponent(report.product_id)}/assets/${encodeURIComponent(storeKey(fault))}`, { method: 'POST', body: data });
            const retry = [...new Set(targets)];
            notices.replaceChildren(el('p', { role: 'status', text: `${name} replaced; retrying ${retry.join(', ') || 'the run'}.` }));
            await startRun({ template: templateFile, product_id: report.product_id, targets: retry.length ? retry : undefined,
                             offline: report.offline || undefined }, picker);
          } catch (error) { notices.replaceChildren(errorBox(error)); picker.disabled = false; }
        });
        replaces.set(fault, el('span', { class: 'replace-control' }, el('label', { for: pickerID, class: 'replace', text: `Replace ${name} ` }), picker));
      }
    }
    const items = failed.map((n) => {
      const fault = faultOf(n);
      const retryTargets = retryTargetsOf(n);
      const fixes = el('div', { class: 'fixes' });
      if (fault && replaces.has(fault)) { fixes.append(replaces.get(fault), ' '); replaces.delete(fault); }
      if (canAct && templateFile && retryTargets.length) {
        fixes.append(el('button', { type: 'button', text: `Retry ${n.id}`, onclick: (e) => startRun({
          template: templateFile, product_id: report.product_id || undefined, targets: retryTargets, offline: report.offline || undefined }, e.target) }));
      }
      const advice = fault
        ? `The trouble is ${inputWords(fault)}: ${report.product_id ? 'replace it with another file' : 'replace the file'}, or retry if it may be the provider's passing trouble.`
        : n.input ? `The provider refused what ${n.input} made: regenerate ${n.input}, or retry.`
        : 'Retry it; if it fails the same way, the message above says what to change.';
      return el('li', {}, el('strong', { text: `${n.id} failed` }), el('p', { class: 'error-text', text: n.error || 'no reason was recorded' }),
                el('p', { class: 'advice', text: advice }), fixes);
    });
    const blocked = nodes.filter((n) => n.status === 'blocked').length;
    return [el('h2', { text: 'What failed' }), el('ul', { class: 'problems' }, ...items),
            blocked ? el('p', { class: 'hint', text: `${plural(blocked, 'node')} waited on ${failed.length === 1 ? 'it' : 'them'} and ${blocked === 1 ? 'was' : 'were'} not made.` }) : null];
  }

  let rendering = 0;
  async function render() {
    const mine = ++rendering;
    let report;
    try { report = await api(`/runs/${id}`); } catch (error) { if (mine === rendering) board.replaceChildren(errorBox(error)); return; }
    // A slower answer to an earlier render never draws over a newer one.
    if (mine !== rendering) return;
    const nodes = report.nodes || [];
    // Counted: the jobs (generated nodes), not the inputs or reused frames.
    const counts = {};
    for (const n of nodes) if (n.job) counts[n.status] = (counts[n.status] || 0) + 1;
    // A queued run (team mode: waiting for a worker) is in progress too.
    const running = report.status === 'running' || report.status === 'queued';
    const failedNodes = nodes.filter((n) => n.status === 'failed').map((n) => n.id);
    const jobs = Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ');
    summary.textContent = `${report.status}` + (report.stop_reason && report.stop_reason !== report.status ? ` — ${report.stop_reason}` : '')
      + (failedNodes.length ? ` — failed: ${failedNodes.join(', ')}` : '')
      + (jobs ? ` · jobs: ${jobs}` : ' · starting')
      + (report.cost !== undefined ? ` · ${report.cost_estimated ? 'estimated ' : ''}cost ${money(report.cost)}` : '')
      + (report.product_id ? ` · product ${report.product_id}` : '')
      + (report.offline ? ' · local engine' : '');
    heading.textContent = `Run ${id}` + (report.template && report.template.id ? ` of ${report.template.id}` : '');

    // Run-level controls: cancel; continue to clips after frames first; downloads.
    const templateFile = templateFileOf(report);
    const framesOnly = isFramesOnly(report);
    const canAct = !running;
    fill(controls,
      running ? el('button', { type: 'button', text: 'Cancel run', onclick: async (e) => {
        e.target.disabled = true;
        try { await api(`/runs/${id}/cancel`, { method: 'POST' }); } catch (error) { notices.replaceChildren(errorBox(error)); }
      } }) : null,
      framesOnly && templateFile && !failedNodes.length ? el('button', { type: 'button', id: 'continue', text: 'Continue to clips',
        onclick: (e) => startRun({ template: templateFile, product_id: report.product_id || undefined, offline: report.offline || undefined }, e.target) }) : null,
      framesOnly && !failedNodes.length ? el('span', { class: 'hint', text: ' The frames are made; review them (regenerate, pick a take), then continue to clips and the cut.' }) : null);
    fill(problems, ...problemList(report, canAct));

    if (report.final_video && (report.status === 'succeeded' || report.status === 'partial')) {
      if (!finalPart.querySelector('video')) {
        const downloads = ['final.mp4', 'final.otio', 'timeline.json', 'captions.srt', 'run.json'].map((name) =>
          el('li', {}, el('a', { href: fileURL(id, name), download: name, text: name })));
        finalPart.replaceChildren(el('h2', { text: 'Final video' }),
          el('video', { controls: true, 'aria-label': 'Final video', src: fileURL(id, report.final_video), preload: 'metadata' }),
          el('h3', { text: 'Downloads' }), el('ul', { class: 'downloads' }, ...downloads));
      }
    } else {
      finalPart.replaceChildren();
    }

    // The storyboard: the nodes of each scene, in playback order; a failed node stays in place.
    const scenes = [];
    const byScene = {};
    for (const n of nodes) {
      if (!n.job && n.status !== 'succeeded' && !n.source) continue;
      const dot = n.id.indexOf('.');
      if (dot < 0 || n.id.includes(':') || n.id === 'final.video') continue;
      const scene = n.id.slice(0, dot);
      if (!byScene[scene]) { byScene[scene] = []; scenes.push(scene); }
      byScene[scene].push(n);
    }
    board.replaceChildren(el('h2', { text: 'Storyboard' }), ...scenes.map((scene) =>
      el('section', { class: 'scene-card', 'aria-label': `Scene ${scene}` }, el('h3', { text: scene }),
        el('div', { class: 'nodes' }, ...byScene[scene].map((n) => nodeCard(n, report, canAct))))));
    const finalNode = nodes.find((n) => n.id === 'final.video');
    if (finalNode && finalNode.error) {
      board.append(el('p', finalNode.status === 'failed' ? { class: 'error-text', role: 'alert', text: `final.video: ${finalNode.error}` }
                                                          : { class: 'hint', text: `final.video: ${finalNode.error}` }));
    }

    // The diagram, coloured by the run's state (redrawn at most once a second), once the run
    // has written its first report.
    const now = Date.now();
    if (nodes.length && (finished || now - drawn > 1000)) {
      drawn = now;
      diagramPart.replaceChildren(el('h2', { text: 'Diagram' }), el('img', { src: `/api/v1/runs/${id}/graph.svg?at=${now}`, alt: 'The run\'s diagram, coloured by status', class: 'diagram' }));
    }
  }

  const later = () => { if (!pending) pending = setTimeout(async () => { pending = null; await render(); }, 300); };
  const events = new EventSource(`/api/v1/runs/${id}/events`);
  events.onmessage = (message) => {
    let event = {};
    try { event = JSON.parse(message.data); } catch (_) { event = {}; }
    if (event.event === 'run_finished') { finished = true; events.close(); clearTimeout(pending); pending = null; render(); } else later();
  };
  events.onerror = () => { if (!finished) { events.close(); finished = true; render(); } };
  await render();
}
