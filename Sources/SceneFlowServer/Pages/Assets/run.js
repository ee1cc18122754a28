// ---- a run, live --------------------------------------------------------------------------
//
// A storyboard: per scene, its frames as images, its voice-over as an audio player, its clip as
// a video, each node's status (in words), model, cost, attempts and error; `Regenerate <node>`
// on every generated node once the run has finished; takes side by side with a pick control;
// "Continue to clips" after a frames-first run; the final cut, the timeline and the report to
// download; cancel while it runs; the diagram coloured live.

const frameKinds = new Set(['first_frame', 'last_frame', 'camera_angle']);

function fileURL(run, name) { return `/api/v1/runs/${run}/files/${encodeURIComponent(name)}`; }

function media(run, node) {
  if (!node.output || !(node.status === 'succeeded' || node.status === 'cached')) return null;
  const src = fileURL(run, node.output);
  if (/\.(png|jpe?g|webp)$/i.test(node.output)) return el('img', { src, alt: `${node.id}: the frame`, class: 'frame' });
  if (/\.(mp3|wav|m4a)$/i.test(node.output)) return el('audio', { src, controls: true, preload: 'none', 'aria-label': `${node.id}: the voice-over` });
  if (/\.(mp4|mov|webm)$/i.test(node.output)) return el('video', { src, controls: true, preload: 'metadata', class: 'clip', 'aria-label': `${node.id}: the clip` });
  return el('a', { href: src, text: node.output });
}

async function run() {
  const id = pageID;
  const heading = el('h1', { text: `Run ${id}` });
  const summary = el('p', { id: 'summary', role: 'status', 'aria-live': 'polite' });
  const controls = el('div', { class: 'run-controls' });
  const notices = el('div', { id: 'notices' });
  const board = el('div', { id: 'storyboard' });
  const finalPart = el('section', { id: 'final', 'aria-label': 'Final cut' });
  const diagramPart = el('section', { id: 'run-diagram', 'aria-label': 'Diagram' });
  show(heading, summary, controls, notices, finalPart, board, diagramPart);
  const openTakes = new Set();
  let finished = false;
  let pending = null;
  let drawn = 0;

  const templateFileOf = (report) => (report.template && report.template.path
    ? report.template.path.split('/').pop().replace(/\.(json|ya?ml)$/, '') : null);

  async function startRun(body, control) {
    control.disabled = true;
    try {
      const next = await postJSON('/runs', body);
      location.href = `/runs/${next.id}`;
    } catch (error) { notices.replaceChildren(errorBox(error)); control.disabled = false; }
  }

  // A node's takes, side by side, each with a pick control.
  async function takesOf(node, into, report) {
    into.replaceChildren(el('p', { text: 'Loading takes…' }));
    try {
      const list = await api(`/runs/${id}/nodes/${encodeURIComponent(node.id)}/takes`);
      const row = el('div', { class: 'takes', role: 'list', 'aria-label': `The takes of ${node.id}` });
      for (const take of list.takes) {
        const marks = [take.take === list.picked ? 'picked' : null, take.take === list.used ? 'used by this run' : null].filter(Boolean);
        const preview = take.url && frameKinds.has(node.kind) ? el('img', { src: take.url, alt: `${node.id}, take ${take.take}`, class: 'frame' })
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
        row.append(el('figure', { role: 'listitem', class: marks.includes('picked') ? 'take picked' : 'take' }, preview,
          el('figcaption', { text: `Take ${take.take}${marks.length ? ' (' + marks.join(', ') + ')' : ''}${take.model ? ' · ' + take.model : ''}` }), pickButton));
      }
      into.replaceChildren(row);
    } catch (error) { into.replaceChildren(errorBox(error)); }
  }

  function nodeCard(node, report, canAct) {
    const templateFile = templateFileOf(report);
    const ran = node.status !== 'skipped' && node.status !== 'pending' && node.status !== 'queued';
    const facts = !ran ? [node.status] : [`${node.status}${node.status === 'cached' ? ' (from the cache)' : ''}`, node.model || null,
                   node.cost !== undefined && node.cost !== null ? (node.cost_estimated ? '~' : '') + money(node.cost) : null,
                   node.attempts ? plural(node.attempts, 'attempt') : null, node.take ? `take ${node.take}` : null].filter(Boolean);
    const card = el('article', { class: `node ${node.status}${openTakes.has(node.id) ? ' open' : ''}`, 'aria-label': node.id },
      el('h4', { text: node.id }),
      el('p', { class: 'facts', text: facts.join(' · ') }),
      media(id, node),
      node.error ? el('p', node.status === 'failed' ? { class: 'error-text', role: 'alert', text: node.error } : { class: 'hint', text: node.error }) : null);
    if (node.job && canAct && templateFile && ['succeeded', 'cached', 'failed'].includes(node.status)) {
      const takesBox = el('div', { class: 'takes-box' });
      const actions = el('div', { class: 'actions' },
        el('button', { type: 'button', 'aria-label': `Regenerate ${node.id}`, text: 'Regenerate', onclick: (e) => startRun({
          template: templateFile, product_id: report.product_id || undefined, regenerate: [node.id],
          targets: report.final_video ? undefined : ['frames'] }, e.target) }), ' ',
        frameKinds.has(node.kind) && (node.cache_key || node.job_key) && !report.simulated
          ? el('button', { type: 'button', 'aria-label': `Takes of ${node.id}`, 'aria-expanded': openTakes.has(node.id) ? 'true' : 'false', text: 'Takes', onclick: (e) => {
              if (openTakes.has(node.id)) {
                openTakes.delete(node.id);
                takesBox.replaceChildren();
                card.classList.remove('open');
                e.target.setAttribute('aria-expanded', 'false');
                return;
              }
              openTakes.add(node.id);
              card.classList.add('open');
              e.target.setAttribute('aria-expanded', 'true');
              takesOf(node, takesBox, report);
            } })
          : null);
      card.append(actions, takesBox);
      if (openTakes.has(node.id)) takesOf(node, takesBox, report);
    }
    return card;
  }

  async function render() {
    let report;
    try { report = await api(`/runs/${id}`); } catch (error) { board.replaceChildren(errorBox(error)); return; }
    const nodes = report.nodes || [];
    // Counted: the jobs (generated nodes), not the inputs or reused frames.
    const counts = {};
    for (const n of nodes) if (n.job) counts[n.status] = (counts[n.status] || 0) + 1;
    const running = report.status === 'running';
    const jobs = Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ');
    summary.textContent = `${report.status}` + (report.stop_reason && report.stop_reason !== report.status ? ` — ${report.stop_reason}` : '')
      + (jobs ? ` · jobs: ${jobs}` : ' · starting')
      + (report.cost !== undefined ? ` · ${report.cost_estimated ? 'estimated ' : ''}cost ${money(report.cost)}` : '')
      + (report.product_id ? ` · product ${report.product_id}` : '');
    heading.textContent = `Run ${id}` + (report.template && report.template.id ? ` of ${report.template.id}` : '');

    // Run-level controls: cancel; continue to clips after frames first; downloads.
    const templateFile = templateFileOf(report);
    // A run that stopped at its targets (frames first) says so on the nodes it left out.
    const framesOnly = !running && !report.final_video && nodes.some((n) => `${n.reason || ''} ${n.error || ''}`.includes('not needed by this run\'s targets'));
    fill(controls,
      running ? el('button', { type: 'button', text: 'Cancel run', onclick: async (e) => {
        e.target.disabled = true;
        try { await api(`/runs/${id}/cancel`, { method: 'POST' }); } catch (error) { notices.replaceChildren(errorBox(error)); }
      } }) : null,
      framesOnly && templateFile && report.status !== 'failed' ? el('button', { type: 'button', id: 'continue', text: 'Continue to clips',
        onclick: (e) => startRun({ template: templateFile, product_id: report.product_id || undefined }, e.target) }) : null,
      framesOnly ? el('span', { class: 'hint', text: ' The frames are made; review them (regenerate, pick a take), then continue to clips and the cut.' }) : null);

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

    // The storyboard: the nodes of each scene, in playback order.
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
    const canAct = !running;
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
