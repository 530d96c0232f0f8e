// <chartroom-code-search>: the encoder's code-search panel, a dependency-free custom element that searches
// GET /terminology/search as the coder types and shows the picked code's detail (hierarchy, notes).
// Keyboard and screen-reader use follow the WAI-ARIA combobox pattern with a listbox popup.

const SYSTEMS = [
  ['icd10cm', 'ICD-10-CM'],
  ['icd10pcs', 'ICD-10-PCS'],
  ['hcpcs', 'HCPCS'],
];
const DEBOUNCE_MS = 150;

// Styles go through a constructed style sheet so a host page with a strict CSP (no inline style) works.
const CSS = `
:host { display: block; font: 1rem/1.4 system-ui, sans-serif; color: #000; background: #fff; max-width: 100%; }
* { box-sizing: border-box; }
.controls { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: end; }
.field { display: flex; flex-direction: column; gap: 0.25rem; min-width: 0; }
.field.query { flex: 1 1 16rem; }
label { font-weight: 600; }
input[type=search], select { font: inherit; color: #000; background: #fff; border: 2px solid #000; border-radius: 0.25rem; padding: 0.4rem 0.5rem; max-width: 100%; }
.toggle { flex-direction: row; align-items: center; padding-bottom: 0.5rem; }
input[type=checkbox] { width: 1.2rem; height: 1.2rem; margin: 0; }
:focus-visible, input:focus, select:focus { outline: 3px solid #0033cc; outline-offset: 2px; }
.popup { position: relative; }
[role=listbox] { list-style: none; margin: 0.25rem 0 0; padding: 0; border: 2px solid #000; max-height: 24rem; overflow-y: auto; background: #fff; }
[role=listbox][hidden] { display: none; }
[role=option] { padding: 0.4rem 0.6rem; border-bottom: 1px solid #555; cursor: pointer; }
[role=option]:last-child { border-bottom: 0; }
[role=option][aria-selected=true] { background: #002b80; color: #fff; outline: 3px solid #0033cc; outline-offset: -3px; }
[role=option][aria-selected=true] .marker { border-color: #fff; color: #fff; }
.code { font-weight: 700; font-family: ui-monospace, monospace; margin-right: 0.5rem; }
.marker { display: inline-block; font-size: 0.85em; border: 1px solid #000; border-radius: 0.2rem; padding: 0 0.3rem; margin-left: 0.4rem; }
.path { display: block; font-size: 0.9em; margin-top: 0.15rem; }
.status { margin: 0.4rem 0 0; min-height: 1.4em; }
.error { color: #8b0000; font-weight: 600; margin: 0.4rem 0 0; }
.error:empty { display: none; }
.detail { margin-top: 1rem; border-top: 2px solid #000; padding-top: 0.5rem; }
.detail:empty { display: none; }
.detail h2 { font-size: 1.15rem; margin: 0 0 0.4rem; }
.detail h3 { font-size: 1rem; margin: 0.8rem 0 0.3rem; }
.detail ol, .detail ul { margin: 0; padding-left: 1.4rem; }
.note-kind { font-weight: 600; }
.source { font-size: 0.9em; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

let sheet;
function styleSheet() {
  if (!sheet && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
}

let instances = 0;

/** A message a person can act on, for a failed response (never a blank panel). */
async function failureText(res) {
  if (res.status === 401) return 'You are not signed in, or your session has ended. Sign in again to search.';
  if (res.status === 403) return 'Your role may not use the code sets.';
  if (res.status >= 500) return `The server could not answer (HTTP ${res.status}). Try again in a moment.`;
  try {
    const body = await res.json();
    const text = body?.issue
      ?.map((i) => i.diagnostics)
      .filter(Boolean)
      .join(' ');
    if (text) return `The search was refused: ${text}`;
  } catch {
    // not JSON: fall through to the status
  }
  return `The request failed (HTTP ${res.status}).`;
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

export class ChartroomCodeSearch extends HTMLElement {
  static get observedAttributes() {
    return ['system', 'billable-only'];
  }

  constructor() {
    super();
    const id = `crcs${++instances}`;
    const root = this.attachShadow({ mode: 'open' });
    const s = styleSheet();
    if (s) root.adoptedStyleSheets = [s];
    else root.append(el('style', { text: CSS }));

    this.input = el('input', {
      id: `${id}-q`,
      type: 'search',
      role: 'combobox',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-autocomplete': 'list',
      'aria-expanded': 'false',
      'aria-controls': `${id}-list`,
      'aria-describedby': `${id}-help`,
    });
    this.systemSelect = el('select', { id: `${id}-system` });
    for (const [value, label] of SYSTEMS) this.systemSelect.append(el('option', { value, text: label }));
    this.billable = el('input', { id: `${id}-billable`, type: 'checkbox' });
    this.list = el('ul', { id: `${id}-list`, role: 'listbox', 'aria-label': 'Matching codes', hidden: '' });
    this.status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    this.error = el('p', { class: 'error', role: 'alert' });
    this.detail = el('section', { class: 'detail', 'aria-label': 'Code detail' });
    const help = el('span', {
      id: `${id}-help`,
      class: 'sr-only',
      text: 'Type a term or a code. Arrow keys move through the results, Enter picks, Escape closes.',
    });

    root.append(
      el(
        'div',
        { class: 'controls' },
        el(
          'div',
          { class: 'field query' },
          el('label', { for: this.input.id, text: 'Search codes' }),
          this.input,
          help,
        ),
        el(
          'div',
          { class: 'field' },
          el('label', { for: this.systemSelect.id, text: 'Code set' }),
          this.systemSelect,
        ),
        el(
          'div',
          { class: 'field toggle' },
          this.billable,
          el('label', { for: this.billable.id, text: 'Billable only' }),
        ),
      ),
      el('div', { class: 'popup' }, this.list),
      this.status,
      this.error,
      this.detail,
    );

    this.hits = [];
    this.active = -1;
    this.timer = undefined;
    this.searchAbort = undefined;
    this.detailAbort = undefined;

    this.input.addEventListener('input', () => this.schedule());
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.input.addEventListener('blur', () => this.close());
    this.systemSelect.addEventListener('change', () => {
      this.setAttribute('system', this.systemSelect.value);
    });
    this.billable.addEventListener('change', () => {
      this.toggleAttribute('billable-only', this.billable.checked);
    });
    // mousedown would move focus off the input (and close the list) before the click lands
    this.list.addEventListener('mousedown', (e) => e.preventDefault());
    this.list.addEventListener('click', (e) => {
      const option = e.target.closest('[role=option]');
      if (option) this.pick(Number(option.dataset.index));
    });
  }

  get system() {
    const s = this.getAttribute('system');
    return SYSTEMS.some(([v]) => v === s) ? s : 'icd10cm';
  }

  /** The API's origin-relative base (default: same origin as the page). */
  get base() {
    return (this.getAttribute('base') ?? '').replace(/\/$/, '');
  }

  connectedCallback() {
    this.systemSelect.value = this.system;
    this.billable.checked = this.hasAttribute('billable-only');
  }

  disconnectedCallback() {
    clearTimeout(this.timer);
    this.searchAbort?.abort();
    this.detailAbort?.abort();
  }

  attributeChangedCallback(name) {
    if (name === 'system') this.systemSelect.value = this.system;
    if (name === 'billable-only') this.billable.checked = this.hasAttribute('billable-only');
    if (this.input.value.trim()) this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.search(), DEBOUNCE_MS);
  }

  async search() {
    const q = this.input.value.trim();
    this.searchAbort?.abort();
    if (!q) {
      this.render([]);
      this.status.textContent = '';
      this.error.textContent = '';
      return;
    }
    const abort = new AbortController();
    this.searchAbort = abort;
    const params = new URLSearchParams({ q, system: this.system, limit: this.getAttribute('limit') ?? '20' });
    if (this.billable.checked) params.set('billableOnly', 'true');
    const date = this.getAttribute('date');
    if (date) params.set('date', date);
    this.setAttribute('aria-busy', 'true');
    try {
      const res = await fetch(`${this.base}/terminology/search?${params}`, {
        credentials: 'same-origin',
        headers: { accept: 'application/json' },
        signal: abort.signal,
      });
      if (!res.ok) {
        const text = await failureText(res);
        if (abort.signal.aborted) return;
        this.render([]);
        this.showError(text);
        return;
      }
      const body = await res.json();
      if (abort.signal.aborted) return;
      this.error.textContent = '';
      this.render(body.hits ?? []);
      const n = this.hits.length;
      this.status.textContent =
        n === 0
          ? `No codes found for "${q}".`
          : `${n} ${n === 1 ? 'code' : 'codes'} found. Use the arrow keys to choose.`;
    } catch (e) {
      if (abort.signal.aborted || e?.name === 'AbortError') return;
      this.render([]);
      this.showError('Could not reach the server. Check the connection and try again.');
    } finally {
      if (this.searchAbort === abort) this.removeAttribute('aria-busy');
    }
  }

  showError(text) {
    this.error.textContent = text;
    this.status.textContent = '';
  }

  render(hits) {
    this.hits = hits;
    this.active = -1;
    this.input.removeAttribute('aria-activedescendant');
    this.list.replaceChildren(
      ...hits.map((h, i) => {
        const option = el(
          'li',
          { id: `${this.list.id}-${i}`, role: 'option', 'aria-selected': 'false', 'data-index': String(i) },
          el('span', { class: 'code', text: h.code }),
          el('span', { class: 'title', text: h.display }),
          el('span', {
            class: 'marker',
            text: h.billable ? 'Billable' : 'Header, not billable',
          }),
        );
        if (h.indexPath?.length) {
          const where = h.index === 'external-cause' ? 'External Cause Index' : 'Index';
          option.append(el('span', { class: 'path', text: `${where}: ${h.indexPath.join(' > ')}` }));
        }
        return option;
      }),
    );
    if (hits.length > 0) this.open();
    else this.close();
  }

  open() {
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
  }

  close() {
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
    this.setActive(-1);
  }

  setActive(i) {
    const options = this.list.querySelectorAll('[role=option]');
    options.forEach((o, j) => {
      o.setAttribute('aria-selected', String(j === i));
    });
    this.active = i;
    if (i < 0 || !options[i]) {
      this.input.removeAttribute('aria-activedescendant');
      return;
    }
    this.input.setAttribute('aria-activedescendant', options[i].id);
    options[i].scrollIntoView?.({ block: 'nearest' });
  }

  onKey(e) {
    const n = this.hits.length;
    const isOpen = !this.list.hidden;
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault();
        if (n === 0) return;
        if (!isOpen) this.open();
        this.setActive(this.active < n - 1 ? this.active + 1 : 0);
        break;
      case 'ArrowUp':
        e.preventDefault();
        if (n === 0) return;
        if (!isOpen) this.open();
        this.setActive(this.active > 0 ? this.active - 1 : n - 1);
        break;
      case 'Enter':
        if (isOpen && this.active >= 0) {
          e.preventDefault();
          this.pick(this.active);
        }
        break;
      case 'Escape':
        if (isOpen) {
          e.preventDefault();
          this.close();
        } else if (this.input.value) {
          e.preventDefault();
          this.input.value = '';
          this.searchAbort?.abort();
          this.render([]);
          this.status.textContent = '';
        }
        break;
      default:
    }
  }

  pick(i) {
    const hit = this.hits[i];
    if (!hit) return;
    const system = hit.system ?? this.system;
    // An index code ending in "-" is incomplete; the detail of the code it names still helps the coder.
    const code = hit.code.replace(/-$/, '');
    this.close();
    this.input.value = code;
    this.status.textContent = `Picked ${code}, ${hit.display}.`;
    this.dispatchEvent(
      new CustomEvent('code-selected', {
        detail: { system, code, display: hit.display },
        bubbles: true,
        composed: true,
      }),
    );
    this.showDetail(system, code);
  }

  async showDetail(system, code) {
    this.detailAbort?.abort();
    const abort = new AbortController();
    this.detailAbort = abort;
    this.detail.replaceChildren(el('p', { text: `Loading ${code}...` }));
    const params = new URLSearchParams();
    const date = this.getAttribute('date');
    if (date) params.set('date', date);
    const query = params.size ? `?${params}` : '';
    try {
      const res = await fetch(
        `${this.base}/terminology/codes/${encodeURIComponent(system)}/${encodeURIComponent(code)}${query}`,
        { credentials: 'same-origin', headers: { accept: 'application/json' }, signal: abort.signal },
      );
      if (!res.ok) {
        const text = await failureText(res);
        if (!abort.signal.aborted)
          this.detail.replaceChildren(el('p', { class: 'error', role: 'alert', text }));
        return;
      }
      const d = await res.json();
      if (!abort.signal.aborted) this.renderDetail(d);
    } catch (e) {
      if (abort.signal.aborted || e?.name === 'AbortError') return;
      this.detail.replaceChildren(
        el('p', { class: 'error', role: 'alert', text: 'Could not reach the server for the code detail.' }),
      );
    }
  }

  renderDetail(d) {
    const parts = [
      el(
        'h2',
        {},
        el('span', { class: 'code', text: d.code }),
        d.display,
        el('span', { class: 'marker', text: d.billable ? 'Billable' : 'Header, not billable' }),
      ),
    ];
    if (d.version) parts.push(el('p', { class: 'source', text: `${d.system} version ${d.version}` }));
    if (d.hierarchy?.length) {
      parts.push(el('h3', { text: 'Hierarchy' }));
      parts.push(
        el(
          'ol',
          { class: 'hierarchy' },
          ...d.hierarchy.map((h) => el('li', { text: `${h.level} ${h.code}: ${h.display}` })),
        ),
      );
    }
    parts.push(el('h3', { text: 'Instructional notes' }));
    if (d.notes?.length) {
      parts.push(
        el(
          'ul',
          { class: 'notes' },
          ...d.notes.map((n) =>
            el(
              'li',
              {},
              el('span', { class: 'note-kind', text: `${n.kind}: ` }),
              n.text,
              el('span', { class: 'source', text: n.inherited ? ` (from ${n.level} ${n.source})` : '' }),
            ),
          ),
        ),
      );
    } else parts.push(el('p', { text: 'No instructional notes apply to this code.' }));
    if (d.children?.length) {
      parts.push(el('h3', { text: 'Codes under it' }));
      parts.push(
        el(
          'ul',
          {},
          ...d.children.map((c) =>
            el('li', { text: `${c.code} ${c.display}${c.billable ? '' : ' (header, not billable)'}` }),
          ),
        ),
      );
    }
    this.detail.replaceChildren(...parts);
  }
}

if (!customElements.get('chartroom-code-search'))
  customElements.define('chartroom-code-search', ChartroomCodeSearch);
