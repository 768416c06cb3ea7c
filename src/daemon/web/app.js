// bitflowd's web page: a client of the REST API (docs/API.md) and nothing more. The token
// lives in sessionStorage and goes out as "Authorization: Bearer" on every call; live
// updates come from GET /events, read with fetch() because EventSource cannot send that
// header, and resumed with Last-Event-ID after a drop.
'use strict';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'bitflowd.token';
const state = { filter: 'all', downloads: new Map(), lastEventId: '', stream: null,
                refetchTimer: 0, inspected: null };

// --- the API ---------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

// `body`: a value sent as JSON, or a FormData sent as multipart/form-data.
async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN_KEY) };
  const init = { method, headers, cache: 'no-store' };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', 'bitflowd cannot be reached: ' + e.message);
  }
  const text = await response.text();
  let value = null;
  try { value = text ? JSON.parse(text) : null; } catch (e) { value = null; }
  if (!response.ok) {
    const err = value && value.error ? value.error : { code: 'http_' + response.status, message: text };
    if (response.status === 401) logout();
    throw new ApiError(response.status, err.code, err.message + ' (' + response.status + ')');
  }
  return value;
}

function showError(e) {
  const box = $('error');
  box.textContent = e ? (e.message || String(e)) : '';
  box.hidden = !e;
}

// --- formatting ------------------------------------------------------------------------

function bytes(n) {
  if (n === null || n === undefined) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; ++i; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

function duration(seconds) {
  if (seconds < 60) return seconds + ' s';
  if (seconds < 3600) return Math.floor(seconds / 60) + ' min ' + (seconds % 60) + ' s';
  return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const c of children) node.append(c);
  return node;
}

// --- the downloads list ----------------------------------------------------------------

const FILTERS = {
  all: () => true,
  active: (d) => d.state === 'downloading' || d.state === 'uploading',
  queued: (d) => d.state === 'queued',
  finished: (d) => d.state === 'completed' || d.state === 'failed' || d.state === 'removed',
};

function fillRow(row, d) {
  row.querySelector('.name').textContent = d.name || d.source;
  const st = row.querySelector('.state');
  st.textContent = d.state + (d.error ? ': ' + d.error.message : '');
  row.dataset.state = d.state;
  const bar = row.querySelector('progress');
  bar.value = d.progress || 0;
  bar.setAttribute('aria-label', 'Progress of ' + (d.name || d.id) + ': ' + (d.progress || 0) + ' %');
  row.querySelector('.percent').textContent = (d.progress || 0) + ' %';
  row.querySelector('.size').textContent = bytes(d.bytes_done) + ' of ' + bytes(d.bytes_total);
  let rate = '↓ ' + bytes(d.download_rate || 0) + '/s';
  if (d.upload_rate) rate += ' ↑ ' + bytes(d.upload_rate) + '/s';
  if (d.eta !== null && d.eta !== undefined && d.state === 'downloading') rate += ' · ' + duration(d.eta) + ' left';
  row.querySelector('.rate').textContent = rate;
  const running = d.state === 'downloading' || d.state === 'uploading' || d.state === 'queued';
  row.querySelector('.pause').hidden = !running;
  row.querySelector('.resume').hidden = !(d.state === 'paused' || d.state === 'failed');
  row.querySelector('.delete').hidden = d.state === 'removed';
  row.querySelector('.show-files').hidden = d.state !== 'completed';
  if (d.state !== 'completed') row.querySelector('.file-panel').hidden = true;
}

// --- a completed download's files: a signed link each, played in the page when media ----

const MEDIA = { video: /\.(mp4|m4v|webm|mkv|mov|ogv)$/i, audio: /\.(mp3|m4a|flac|ogg|oga|opus|wav|aac)$/i };

function fileItem(d, f) {
  const button = el('button', { type: 'button', className: 'link', textContent: 'Open' });
  button.setAttribute('aria-label', 'Open ' + f.path);
  const item = el('li', {}, el('span', { className: 'path', textContent: f.path }),
                  el('span', { className: 'size', textContent: bytes(f.size) }), button);
  button.addEventListener('click', async () => {
    try {
      const link = await api('POST', `/downloads/${encodeURIComponent(d.id)}/files/${f.index}/link`,
                             { minutes: 240 });
      const a = el('a', { href: link.url, target: '_blank', rel: 'noopener', className: 'open',
                          textContent: 'Open ' + f.path.split('/').pop() });
      const kind = MEDIA.video.test(f.path) ? 'video' : MEDIA.audio.test(f.path) ? 'audio' : '';
      const player = kind ? el(kind, { controls: true, preload: 'metadata', src: link.url }) : '';
      if (player) player.setAttribute('aria-label', 'Play ' + f.path);
      button.replaceWith(a);
      if (player) item.append(player);
    } catch (e) { showError(e); }
  });
  return item;
}

function toggleFiles(row, d) {
  const panel = row.querySelector('.file-panel');
  panel.hidden = !panel.hidden;
  if (!panel.hidden)
    panel.replaceChildren(...d.files.filter((f) => f.selected).map((f) => fileItem(d, f)));
}

function makeRow(d) {
  const label = d.name || d.id;
  const pause = el('button', { type: 'button', className: 'pause', textContent: 'Pause' });
  const resume = el('button', { type: 'button', className: 'resume', textContent: 'Resume' });
  const del = el('button', { type: 'button', className: 'delete', textContent: 'Delete' });
  pause.setAttribute('aria-label', 'Pause ' + label);
  resume.setAttribute('aria-label', 'Resume ' + label);
  del.setAttribute('aria-label', 'Delete ' + label);
  pause.addEventListener('click', () => act(d.id, 'pause'));
  resume.addEventListener('click', () => act(d.id, 'resume'));
  del.addEventListener('click', () => remove(d.id));
  const files = el('button', { type: 'button', className: 'show-files', textContent: 'Files' });
  files.setAttribute('aria-label', 'Files of ' + label);
  files.addEventListener('click', () => toggleFiles(row, state.downloads.get(d.id) || d));
  const row = el('li', { className: 'row' },
    el('span', { className: 'name' }),
    el('span', { className: 'buttons' }, files, pause, resume, del),
    el('progress', { max: 100, value: 0 }),
    el('span', { className: 'meta' },
      el('span', { className: 'state' }), el('span', { className: 'percent' }),
      el('span', { className: 'size' }), el('span', { className: 'rate' })),
    el('ul', { className: 'files file-panel', hidden: true }));
  row.setAttribute('aria-label', label);
  row.dataset.id = d.id;
  fillRow(row, d);
  return row;
}

function render() {
  const list = $('downloads');
  const shown = [...state.downloads.values()].filter(FILTERS[state.filter]);
  const rows = shown.map((d) => list.querySelector(`li[data-id="${CSS.escape(d.id)}"]`) || makeRow(d));
  shown.forEach((d, i) => fillRow(rows[i], d));
  list.replaceChildren(...rows);
  $('downloads-empty').hidden = rows.length > 0;
}

async function loadDownloads() {
  const filter = state.filter;
  try {
    // The list comes a page at a time; "next" names where the following page starts.
    const downloads = [];
    let after = null;
    do {
      let path = '/downloads?limit=1000&filter=' + encodeURIComponent(filter);
      if (after !== null) path += '&after=' + encodeURIComponent(after);
      const answer = await api('GET', path);
      if (filter !== state.filter) return;  // a tab clicked meanwhile has its own request
      downloads.push(...answer.downloads);
      after = answer.next;
    } while (after);
    state.downloads = new Map(downloads.map((d) => [d.id, d]));
    render();
  } catch (e) { showError(e); }
}

// A change of state may move a download in or out of the filter, and the server's list
// keeps the queue order: fetch it again, once for a burst of events.
function scheduleReload() {
  clearTimeout(state.refetchTimer);
  state.refetchTimer = setTimeout(loadDownloads, 150);
}

async function act(id, action) {
  try {
    const d = await api('POST', '/downloads/' + encodeURIComponent(id) + '/' + action);
    showError(null);
    state.downloads.set(d.id, d);
    render();
    scheduleReload();
  } catch (e) { showError(e); }
}

async function remove(id) {
  try {
    await api('POST', '/downloads/delete', { ids: [id], delete_data: false });
    showError(null);
    loadDownloads();
  } catch (e) { showError(e); }
}

function setFilter(name) {
  state.filter = name;
  for (const tab of document.querySelectorAll('[data-filter]'))
    tab.setAttribute('aria-selected', String(tab.dataset.filter === name));
  render();
  loadDownloads();
}

// --- live events: fetch() + a Server-Sent Events parser --------------------------------

function onEvent(type, data, id) {
  if (id) state.lastEventId = id;
  if (type === 'resync') { loadDownloads(); return; }
  if (!data) return;
  let value;
  try { value = JSON.parse(data); } catch (e) { return; }
  const d = value.download;
  if (!d) return;
  if (type === 'progress' && state.downloads.has(d.id)) {
    state.downloads.set(d.id, d);
    const row = $('downloads').querySelector(`li[data-id="${CSS.escape(d.id)}"]`);
    if (row) fillRow(row, d);
    return;
  }
  if (FILTERS[state.filter](d)) state.downloads.set(d.id, d); else state.downloads.delete(d.id);
  render();
  scheduleReload();
}

// Splits the stream into events as the SSE spec says: lines end in \n, \r\n or \r; a blank
// line ends an event; "field: value" with one optional space; ':' starts a comment.
function sseParser(dispatch) {
  let buffer = '', type = '', data = [], id = '';
  return (chunk) => {
    buffer += chunk;
    // A '\r' that ends the chunk may be the first half of a "\r\n": keep it for the next.
    const cut = buffer.endsWith('\r') ? buffer.length - 1 : buffer.length;
    const lines = buffer.slice(0, cut).split(/\r\n|\r|\n/);
    buffer = lines.pop() + buffer.slice(cut);
    for (const line of lines) {
      if (line === '') {
        if (data.length || type) dispatch(type || 'message', data.join('\n'), id);
        type = ''; data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
  };
}

function setLive(on) {
  const live = $('live');
  live.textContent = on ? 'live' : 'reconnecting…';
  live.classList.toggle('on', on);
}

async function streamEvents() {
  const controller = new AbortController();
  state.stream = controller;
  let delay = 500;
  while (state.stream === controller) {
    try {
      const headers = { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN_KEY),
                        Accept: 'text/event-stream' };
      if (state.lastEventId) headers['Last-Event-ID'] = state.lastEventId;
      const response = await fetch('/events', { headers, signal: controller.signal, cache: 'no-store' });
      if (response.status === 401) { logout(); return; }
      if (!response.ok || !response.body) throw new Error('events: HTTP ' + response.status);
      setLive(true);
      delay = 500;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const feed = sseParser(onEvent);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        feed(value);
      }
    } catch (e) {
      if (controller.signal.aborted) return;
    }
    setLive(false);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

// --- the add dialog --------------------------------------------------------------------

function addError(e) {
  $('add-error').textContent = e ? e.message : '';
  $('add-error').hidden = !e;
}

function openAdd() {
  state.inspected = null;
  $('add-form').reset();
  $('inspection').hidden = true;
  $('add-confirm').disabled = true;
  addError(null);
  $('add-dialog').showModal();
  $('add-url').focus();
}

// A .torrent file's name and files, read in the page (the server checks it again when it
// is uploaded): bencode, strings as bytes, at most 32 levels deep.
function bdecode(bytes) {
  let at = 0;
  const number = (end) => {
    const text = new TextDecoder().decode(bytes.subarray(at, end));
    if (end < 0 || !/^-?[0-9]+$/.test(text)) throw new Error('a bad number at byte ' + at);
    at = end + 1;
    return Number(text);
  };
  const value = (depth) => {
    if (depth > 32 || at >= bytes.length) throw new Error('truncated or too deep at byte ' + at);
    const c = bytes[at];
    if (c === 0x69) { ++at; return number(bytes.indexOf(0x65, at)); }  // i…e
    if (c === 0x6c || c === 0x64) {  // l…e, d…e
      ++at;
      const items = [];
      while (bytes[at] !== 0x65) items.push(value(depth + 1));
      ++at;
      if (c === 0x6c) return items;
      const dict = new Map();
      for (let k = 0; k + 1 < items.length; k += 2) dict.set(new TextDecoder().decode(items[k]), items[k + 1]);
      return dict;
    }
    if (c >= 0x30 && c <= 0x39) {
      const length = number(bytes.indexOf(0x3a, at));
      if (at + length > bytes.length) throw new Error('a string past the end');
      at += length;
      return bytes.subarray(at - length, at);
    }
    throw new Error('an unexpected byte at ' + at);
  };
  return value(0);
}

function torrentFiles(bytes) {
  const root = bdecode(bytes);
  const info = root instanceof Map ? root.get('info') : null;
  if (!(info instanceof Map) || !info.has('name')) throw new Error('it has no info dictionary');
  const text = (b) => new TextDecoder().decode(b);
  const name = text(info.get('name'));
  if (info.has('length')) return { name, size: info.get('length'), files: [{ index: 0, path: name, size: info.get('length') }] };
  const list = info.get('files') || [];
  const files = list.map((f, index) => ({
    index, path: [name, ...f.get('path').map(text)].join('/'), size: f.get('length') }));
  return { name, size: files.reduce((sum, f) => sum + f.size, 0), files };
}

async function chooseFile() {
  const file = $('add-file').files[0];
  if (!file) return;
  $('add-url').value = '';
  try {
    const info = torrentFiles(new Uint8Array(await file.arrayBuffer()));
    addError(null);
    showInspection({ file, info: { type: 'torrent', ...info } });
  } catch (e) {
    state.inspected = null;
    $('inspection').hidden = true;
    $('add-confirm').disabled = true;
    addError(new Error(file.name + ' is not a torrent file: ' + e.message));
  }
}

async function inspect() {
  const url = $('add-url').value.trim();
  if (!url) { addError(new Error('Paste a magnet link or a URL, or choose a .torrent file.')); return; }
  $('inspect-button').disabled = true;
  try {
    const info = await api('POST', '/inspect', { url });
    addError(null);
    showInspection({ url, info });
  } catch (e) {
    addError(e);
  } finally {
    $('inspect-button').disabled = false;
  }
}

function showInspection(inspected) {
  const info = inspected.info;
  state.inspected = inspected;
  $('inspect-type').textContent = inspected.file ? 'torrent file' : info.type;
  $('inspect-name').textContent = info.name || '?';
  $('inspect-size').textContent = bytes(info.size);
  const pickable = info.type === 'torrent';
  $('inspect-files').replaceChildren(...info.files.map((f) => {
    const box = el('input', { type: 'checkbox', checked: true, disabled: !pickable,
                              id: 'file-' + f.index, value: String(f.index) });
    return el('li', {}, box, el('label', { htmlFor: box.id, textContent: f.path }),
              el('span', { className: 'size', textContent: bytes(f.size) }));
  }));
  $('inspect-nofiles').hidden = info.files.length > 0;
  $('inspection').hidden = false;
  $('add-confirm').disabled = false;
}

async function confirmAdd() {
  if (!state.inspected) return;
  let body = { url: state.inspected.url };
  if (state.inspected.info.type === 'torrent') {
    body.files = [...$('inspect-files').querySelectorAll('input:checked')].map((b) => Number(b.value));
    if (body.files.length === 0) { addError(new Error('Pick at least one file.')); return; }
  }
  if (state.inspected.file) {
    const form = new FormData();
    form.append('torrent', state.inspected.file);
    form.append('files', JSON.stringify(body.files));
    body = form;
  }
  $('add-confirm').disabled = true;
  try {
    const d = await api('POST', '/downloads', body);
    $('add-dialog').close();
    if (FILTERS[state.filter](d)) { state.downloads.set(d.id, d); render(); }
    scheduleReload();
  } catch (e) {
    addError(e);
    $('add-confirm').disabled = false;
  }
}

// --- history and settings --------------------------------------------------------------

async function loadHistory() {
  try {
    const answer = await api('GET', '/history');
    $('history').replaceChildren(...answer.downloads.map((d) => {
      const row = el('li', { className: 'row' },
        el('span', { className: 'name', textContent: d.name || d.source }),
        el('span', { className: 'meta' },
          el('span', { className: 'state', textContent: d.state }),
          el('span', { textContent: bytes(d.bytes_total) }),
          el('span', { textContent: d.finished_at ? new Date(d.finished_at).toLocaleString() : '' })));
      row.dataset.id = d.id;
      return row;
    }));
    $('history-status').textContent = answer.downloads.length ? '' : 'The history is empty.';
  } catch (e) { showError(e); }
}

async function clearHistory() {
  try {
    const answer = await api('DELETE', '/history');
    $('history-status').textContent = 'Cleared ' + answer.cleared + ' downloads.';
    $('history').replaceChildren();
  } catch (e) { showError(e); }
}

function showSettings(s) {
  $('download-location').value = s.download_location || '';
  $('resolved-location').textContent = s.resolved_location;
}

async function loadSettings() {
  try { showSettings(await api('GET', '/settings')); } catch (e) { showError(e); }
}

async function saveSettings(event) {
  event.preventDefault();
  $('settings-status').textContent = '';
  try {
    const location = $('download-location').value.trim();
    showSettings(await api('PUT', '/settings', { download_location: location || null }));
    showError(null);
    $('settings-status').textContent = 'Saved.';
  } catch (e) { showError(e); }
}

// --- views and login -------------------------------------------------------------------

function showView(name) {
  for (const v of ['login', 'downloads', 'history', 'settings']) $(v + '-view').hidden = v !== name;
  for (const b of document.querySelectorAll('[data-view]')) {
    if (b.dataset.view === name) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  $('nav').hidden = name === 'login';
  if (name === 'downloads') loadDownloads();
  if (name === 'history') loadHistory();
  if (name === 'settings') loadSettings();
}

function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  if (state.stream) state.stream.abort();
  state.stream = null;
  state.downloads.clear();
  state.lastEventId = '';
  showView('login');
}

async function login(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    await api('GET', '/settings');
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    showError(e.status === 401 ? new Error('That token is not valid.') : e);
    return;
  }
  $('token').value = '';
  start();
}

function start() {
  showError(null);
  showView('downloads');
  streamEvents();
}

if (typeof document !== 'undefined') document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  for (const b of document.querySelectorAll('[data-view]'))
    b.addEventListener('click', () => showView(b.dataset.view));
  for (const tab of document.querySelectorAll('[data-filter]'))
    tab.addEventListener('click', () => setFilter(tab.dataset.filter));
  $('add-button').addEventListener('click', openAdd);
  $('inspect-button').addEventListener('click', inspect);
  $('add-file').addEventListener('change', chooseFile);
  $('add-confirm').addEventListener('click', confirmAdd);
  $('add-cancel').addEventListener('click', () => $('add-dialog').close());
  $('add-form').addEventListener('submit', (e) => { e.preventDefault(); inspect(); });
  $('clear-history').addEventListener('click', clearHistory);
  $('settings-form').addEventListener('submit', saveSettings);
  if (sessionStorage.getItem(TOKEN_KEY)) start(); else showView('login');
});

// Node (tests/integration/web_js_test.js) loads this file to test the parsers alone.
if (typeof module !== 'undefined') module.exports = { sseParser, bdecode, torrentFiles, bytes };
