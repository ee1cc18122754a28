'use strict';
// The dashboard's shared helpers. Every value from the API reaches the page through
// textContent or an attribute, never as markup; diagrams are images (data: URLs), so nothing
// in them can run.

const main = document.getElementById('main');
const page = document.body.dataset.page;
const pageID = document.body.dataset.id;
const idPattern = /^[a-z0-9][a-z0-9_-]*$/;
// The same for a `pattern` attribute, which browsers compile with the `v` flag (a `-` in a
// class must be escaped there).
const idPatternAttribute = '[a-z0-9][a-z0-9_\\-]*';

// ---- the API ---------------------------------------------------------------------------------

// A server bound beyond loopback needs its token: asked for once, kept in a SameSite=Strict
// cookie the server accepts like the Authorization header (images and video send it too).
let tokenPrompt = null;
function askToken(message) {
  if (tokenPrompt) return tokenPrompt;
  tokenPrompt = new Promise((resolve) => {
    const input = el('input', { id: 'token', type: 'password', autocomplete: 'off', 'aria-label': 'Access token' });
    const box = el('form', { class: 'token', role: 'dialog', 'aria-label': 'Access token' },
      el('p', { text: message }),
      el('label', { for: 'token', text: 'Access token (SCENEFLOW_TOKEN) ' }), input, ' ',
      el('button', { type: 'submit', text: 'Use token' }));
    box.addEventListener('submit', (event) => {
      event.preventDefault();
      document.cookie = `sceneflow_token=${encodeURIComponent(input.value)}; Path=/; SameSite=Strict`;
      box.remove();
      tokenPrompt = null;
      resolve();
    });
    document.body.insertBefore(box, main);
    input.focus();
  });
  return tokenPrompt;
}

async function api(path, options = {}, attempt = 0) {
  const response = await fetch('/api/v1' + path, options);
  if (response.status === 401 && attempt < 3) {
    await askToken(attempt ? 'That token was not accepted; try again.' : 'This server needs its access token.');
    return api(path, options, attempt + 1);
  }
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

function postJSON(path, value) {
  return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) });
}

// ---- building the page -----------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Replaces `node`'s children, leaving out the absent ones (null, undefined, false).
function fill(node, ...children) { node.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false)); }

function show(...nodes) { fill(main, ...nodes); }

function errorBox(error) {
  const box = el('div', { class: 'error', role: 'alert' }, el('p', { text: error.message }));
  if (error.diagnostics && error.diagnostics.length) box.append(diagnosticList(error.diagnostics));
  return box;
}

function describe(d) {
  const where = d.path ? ` (at ${d.path}${d.line ? `, line ${d.line}` : ''})` : (d.line ? ` (line ${d.line})` : '');
  return `${d.severity}: ${d.message} [${d.code}]${where}`;
}

// A list of diagnostics; with `onPick`, each is a link that takes the user to its place.
function diagnosticList(diagnostics, onPick) {
  const list = el('ul', { class: 'diagnostics', 'aria-label': 'Diagnostics' });
  for (const d of diagnostics) {
    const item = el('li', { class: d.severity });
    const text = describe(d);
    item.append(onPick && (d.line || d.path) ? el('a', { href: '#', text, onclick: (e) => { e.preventDefault(); onPick(d); } }) : text);
    if (d.suggestion) item.append(el('span', { class: 'suggestion', text: ` — ${d.suggestion}` }));
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

function plural(n, word) { return `${n} ${word}${n === 1 ? '' : 's'}`; }

// ---- YAML -----------------------------------------------------------------------------------

// A JSON value as block YAML: strings double-quoted (JSON's escapes are YAML's), keys plain
// when they can be, empty collections inline. What the server reads back is the same value.
function toYAML(value, indent = '') {
  const scalar = (v) => (v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : String(v));
  const key = (k) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : JSON.stringify(k));
  const isCollection = (v) => v !== null && typeof v === 'object' && Object.keys(v).length > 0;
  if (Array.isArray(value)) {
    if (!value.length) return indent + '[]\n';
    return value.map((item) => {
      if (!isCollection(item)) return `${indent}- ${Array.isArray(item) ? '[]' : typeof item === 'object' && item ? '{}' : scalar(item)}\n`;
      const nested = toYAML(item, indent + '  ');
      return `${indent}- ${nested.slice(indent.length + 2)}`;
    }).join('');
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (!entries.length) return indent + '{}\n';
    return entries.map(([k, v]) => {
      if (isCollection(v)) return `${indent}${key(k)}:\n${toYAML(v, indent + '  ')}`;
      return `${indent}${key(k)}: ${Array.isArray(v) ? '[]' : v !== null && typeof v === 'object' ? '{}' : scalar(v)}\n`;
    }).join('');
  }
  return indent + scalar(value) + '\n';
}
