import { ApiError, describeError } from '../api.js';
import { h, notice } from '../dom.js';
import { textField } from '../form.js';

// A login token (a JWT) pasted by mistake would be accepted by the API as that user: say so first.
const LOOKS_LIKE_JWT = /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/;

export function signInPage({ message, onKey }) {
  const error = notice();
  if (message) error.show(message);
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Sign in' });
  const form = h(
    'form',
    { class: 'card sign-in', novalidate: true },
    h('h1', { tabindex: -1, text: 'Sign in' }),
    h('p', { text: 'Paste an admin key. The console shows what its scopes and realm allow.' }),
    error.element,
    textField({
      name: 'key',
      label: 'Admin key',
      type: 'password',
      autocomplete: 'off',
      hint: 'Kept in this tab only (session storage) until you sign out or close it, and sent only to this server.',
    }),
    h('div', { class: 'actions' }, submit),
    h(
      'p',
      { class: 'muted' },
      'No key yet? On the server: ',
      h('code', { text: 'npm run cli -- admin-key create --name console' }),
      ' (add ',
      h('code', { text: '--realm <id>' }),
      ' to limit it to one realm).',
    ),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = form.elements.namedItem('key').value.trim();
    error.clear();
    if (!key) return error.show('Paste an admin key first.');
    if (LOOKS_LIKE_JWT.test(key)) return error.show('This is a user login token (a JWT), not an admin key.');
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      await onKey(key);
    } catch (failure) {
      error.show(failure instanceof ApiError ? describeError(failure) : String(failure));
      form.elements.namedItem('key').focus();
    } finally {
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });
  queueMicrotask(() => form.elements.namedItem('key').focus());
  return h('section', { class: 'narrow' }, form);
}
