// DOM helpers of the ops board. Text always goes in as text nodes (never innerHTML), so nothing a
// tenant stored can run as markup.

/**
 * Builds an element: `h('a', { href: '#/jobs', class: 'x' }, 'text', child)`. Attributes starting with
 * `on` are listeners; `false`/`null`/`undefined` attributes and children are skipped.
 * @param {string} tag
 * @param {Record<string, unknown>} [attributes]
 * @param {...(Node | string | number | null | undefined | false | (Node | string)[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), /** @type {EventListener} */ (value));
    } else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/** @param {Element} parent @param {unknown[]} children */
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.append(child);
    else parent.append(document.createTextNode(String(child)));
  }
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** A `<time>` in the viewer's zone (the zone in its tooltip); `-` for nothing. @param {string | undefined} iso */
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '-');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h('span', {}, iso);
  return h(
    'time',
    { datetime: date.toISOString(), title: `${zone} (${date.toISOString()})` },
    dateTime.format(date),
  );
}

/** Hours and minutes in the viewer's zone, for chart axes. @param {Date} date */
export function clock(date) {
  return timeOnly.format(date);
}

/** The viewer's time zone name. */
export function viewerZone() {
  return zone;
}

/** A loading state, announced to screen readers. @param {string} what */
export function loading(what) {
  return h('p', { class: 'state loading', role: 'status' }, `Loading ${what}…`);
}

/** An empty state. @param {string} text */
export function empty(text) {
  return h('p', { class: 'state empty' }, text);
}

/**
 * An error state with what went wrong and, when given, a retry button.
 * @param {unknown} error
 * @param {(() => void) | undefined} [retry]
 */
export function failure(error, retry) {
  const message = error instanceof Error ? error.message : String(error);
  return h(
    'div',
    { class: 'state error', role: 'alert' },
    h('p', {}, h('strong', {}, 'Could not load: '), message),
    retry ? h('button', { type: 'button', onclick: retry }, 'Try again') : null,
  );
}

/**
 * A table with a caption; `rows` are arrays of cells (nodes or text).
 * @param {string} caption
 * @param {string[]} headers
 * @param {(Node | string | number)[][]} rows
 */
export function table(caption, headers, rows) {
  return h(
    'div',
    // Focusable and named: a table wider than a narrow window scrolls, by keyboard too.
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((name) => h('th', { scope: 'col' }, name)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((cells) =>
          h(
            'tr',
            {},
            cells.map((cell) => h('td', {}, cell)),
          ),
        ),
      ),
    ),
  );
}

/** A status code as a badge with its meaning in words. @param {string} code */
export function statusBadge(code) {
  const words = {
    JQ: 'queued',
    JR: 'running',
    JRA: 'with scanner',
    JQA: 'returning',
    JP: 'passed',
    JF: 'failed',
  };
  const word = /** @type {Record<string, string>} */ (words)[code];
  return h('span', { class: `badge status-${code}` }, word ? `${code} · ${word}` : code);
}

/** Replaces the children of `element`. @param {Element} element @param {...unknown} children */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/**
 * Asks for confirmation in a modal dialog (focus moves into it and comes back; Escape cancels).
 * @param {string} title
 * @param {string} message
 * @param {string} action the label of the confirming button
 * @returns {Promise<boolean>}
 */
export function confirmDialog(title, message, action) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const dialog = /** @type {HTMLDialogElement} */ (
      h(
        'dialog',
        { class: 'confirm', 'aria-labelledby': 'confirm-title' },
        h('h2', { id: 'confirm-title' }, title),
        h('p', {}, message),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', value: 'cancel', class: 'secondary' }, 'Cancel'),
          h('button', { type: 'button', value: 'ok', class: 'danger' }, action),
        ),
      )
    );
    const close = (/** @type {boolean} */ answer) => {
      dialog.close();
      dialog.remove();
      if (opener instanceof HTMLElement) opener.focus();
      resolve(answer);
    };
    dialog.addEventListener('click', (event) => {
      const target = event.target;
      if (target instanceof HTMLButtonElement) close(target.value === 'ok');
    });
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    /** @type {HTMLButtonElement | null} */ (dialog.querySelector('button[value="cancel"]'))?.focus();
  });
}
