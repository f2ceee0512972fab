// Building the page from elements and text nodes only — never from HTML strings — is what lets the
// console run under Trusted Types: nothing a server or a user typed can ever become markup.

/**
 * h('button', { class: 'danger', onclick: fn, disabled: true }, 'Terminate') → <button>.
 * Props: `class`, `text`, `on<event>` listeners, `dataset`; `true` sets an empty attribute and
 * `false`/`null`/`undefined` leaves it out; anything else becomes an attribute.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** A <time> with the local date and time; the full ISO timestamp in its tooltip. */
export function time(iso, { withSeconds = false } = {}) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  const date = new Date(iso);
  return h('time', { datetime: iso, title: date.toISOString(), text: (withSeconds ? clock : dateTime).format(date) });
}

/** "3 minutes ago", "in 2 hours". */
export function ago(iso, now = Date.now()) {
  if (!iso) return '—';
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const units = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  return relative.format(seconds, 'second');
}

/** A text that can be copied with one click (issuer, JWKS URL, a new API key). */
export function copyable(value, label) {
  const status = h('span', { class: 'copy-status', role: 'status' });
  return h(
    'span',
    { class: 'copyable' },
    h('code', { text: value }),
    h('button', {
      type: 'button',
      class: 'small',
      'aria-label': `Copy ${label}`,
      text: 'Copy',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(value);
          status.textContent = 'Copied';
        } catch {
          status.textContent = 'Select the text to copy it';
        }
        setTimeout(() => (status.textContent = ''), 2000);
      },
    }),
    status,
  );
}

/** A message region: errors are announced at once, other news politely. */
export function notice() {
  const element = h('div', { class: 'notice', hidden: true });
  return {
    element,
    show(text, kind = 'error') {
      element.className = `notice ${kind}`;
      element.setAttribute('role', kind === 'error' ? 'alert' : 'status');
      element.textContent = text;
      element.hidden = false;
    },
    clear() {
      element.hidden = true;
      element.textContent = '';
    },
  };
}
