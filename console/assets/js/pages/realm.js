import { copyable, h, notice, time } from '../dom.js';
import { ApiError, describeError } from '../api.js';
import { confirmAction } from '../dialog.js';
import { clearFieldErrors, showError } from '../form.js';
import { REALM_FIELDS, changedSettings, settingsFields } from './realm-settings.js';

const REALM = `query ($id: ID!) { realm(id: $id) { ${REALM_FIELDS} issuer jwksUrl jwtPublicKey signingKeyId createdAt updatedAt } }`;

function settingsSection(ctx, realm, manages, onSaved) {
  const error = notice();
  const saved = notice();
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Save settings' });
  const form = h(
    'form',
    { class: 'card settings', novalidate: true, 'aria-labelledby': 'settings-title' },
    h('h2', { id: 'settings-title', text: 'Settings' }),
    manages ? null : h('p', { class: 'muted', text: 'Read only: changing settings needs the REALMS_MANAGE scope.' }),
    settingsFields(realm, { disabled: !manages }),
    error.element,
    saved.element,
    manages ? h('div', { class: 'actions' }, submit) : null,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    error.clear();
    saved.clear();
    const input = changedSettings(form, realm);
    if (Object.keys(input).length === 0) return saved.show('Nothing changed.', 'info');
    submit.disabled = true;
    try {
      const { updateRealm } = await ctx.api.request(`mutation ($id: ID!, $input: UpdateRealmInput!) { updateRealm(id: $id, input: $input) { id } }`, {
        id: realm.id,
        input,
      });
      onSaved(updateRealm, 'Settings saved. They apply to sessions created from now on.');
    } catch (failure) {
      showError(form, failure, error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** The HS256 secret, fetched only when asked for and hidden again on request. */
function secretReveal(ctx, realm) {
  const slot = h('div', {});
  const error = notice();
  const hidden = () =>
    slot.replaceChildren(
      h('button', {
        type: 'button',
        text: 'Reveal HS256 secret',
        onclick: async () => {
          error.clear();
          try {
            const { realm: withSecret } = await ctx.api.request('query ($id: ID!) { realm(id: $id) { jwtSecret } }', { id: realm.id });
            slot.replaceChildren(
              copyable(withSecret.jwtSecret, 'HS256 secret'),
              h('button', { type: 'button', class: 'small', text: 'Hide', onclick: hidden }),
            );
          } catch (failure) {
            error.show(describeError(failure));
          }
        },
      }),
    );
  hidden();
  return h('div', {}, slot, error.element);
}

function verificationSection(ctx, realm, manages, onRotated) {
  const rows = [
    ['Issuer (iss)', copyable(realm.issuer, 'issuer')],
    ['JWKS URL', copyable(realm.jwksUrl, 'JWKS URL')],
    ['Algorithm', realm.jwtAlgorithm],
    ['Current key id (kid)', realm.signingKeyId ? h('code', { text: realm.signingKeyId }) : '—'],
  ];
  let key;
  if (realm.jwtAlgorithm === 'RS256') key = h('div', {}, h('h3', { text: 'Public key' }), h('pre', { class: 'pem', text: realm.jwtPublicKey ?? '' }));
  else if (manages) key = h('div', {}, h('h3', { text: 'Shared secret' }), secretReveal(ctx, realm));
  else key = h('p', { class: 'muted', text: 'The HS256 secret is shown only to keys with the REALMS_MANAGE scope.' });
  const rotate = manages
    ? h('button', {
        type: 'button',
        text: 'Rotate signing key',
        onclick: () =>
          confirmAction({
            title: 'Rotate the signing key?',
            message: ['New tokens will be signed with a new key (a new kid).', 'Tokens signed with the current key stay valid until they expire.'],
            confirmLabel: 'Rotate key',
            action: async () => {
              await ctx.api.request('mutation ($id: ID!) { rotateRealmKey(id: $id) { id } }', { id: realm.id });
              onRotated('The signing key was rotated.');
            },
          }),
      })
    : null;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'verify-title' },
    h('h2', { id: 'verify-title', text: 'For relying parties' }),
    h('p', { class: 'muted', text: 'What an app needs to verify this realm’s login tokens.' }),
    h(
      'dl',
      { class: 'facts' },
      rows.map(([term, value]) => [h('dt', { text: term }), h('dd', {}, value)]),
    ),
    key,
    rotate ? h('div', { class: 'actions' }, rotate) : null,
  );
}

function dangerSection(ctx, realm, message) {
  return h(
    'section',
    { class: 'card danger-zone', 'aria-labelledby': 'danger-title' },
    h('h2', { id: 'danger-title', text: 'After an incident' }),
    h('p', { text: 'End every active session of this realm at once: every user must log in again.' }),
    h('button', {
      type: 'button',
      class: 'danger',
      text: 'Log everyone out',
      onclick: () =>
        confirmAction({
          title: `Log everyone out of ${realm.name}?`,
          message: 'Every active session of this realm ends now (TERMINATED_BY_ADMIN), on every device.',
          confirmLabel: 'Log everyone out',
          action: async () => {
            const { terminateRealmSessions: count } = await ctx.api.request('mutation ($id: ID!) { terminateRealmSessions(realmId: $id) }', {
              id: realm.id,
            });
            message.show(`${count} session${count === 1 ? '' : 's'} ended.`, 'info');
          },
        }),
    }),
  );
}

export function realmPage(ctx) {
  const { api, access, params } = ctx;
  const node = h('section', {}, h('h1', { tabindex: -1, text: 'Realm' }), h('p', { class: 'muted', text: 'Loading…' }));
  const message = notice();

  async function load(news) {
    try {
      const [{ realm }, manages] = await Promise.all([api.request(REALM, { id: params.realmId }), access.managesRealm(params.realmId)]);
      if (!realm) throw new ApiError('Realm not found', { code: 'NOT_FOUND' });
      ctx.setTitle(realm.name);
      const reload = (_, text) => load(text);
      node.replaceChildren(
        h(
          'div',
          { class: 'page-head' },
          h('h1', { tabindex: -1, text: realm.name }),
          h('p', { class: 'muted' }, h('code', { text: realm.id }), ' · created ', time(realm.createdAt)),
        ),
        message.element,
        h(
          'div',
          { class: 'columns' },
          settingsSection(ctx, realm, manages, reload),
          h(
            'div',
            {},
            verificationSection(ctx, realm, manages, (text) => load(text)),
            access.sessionsTerminate ? dangerSection(ctx, realm, message) : null,
          ),
        ),
      );
      if (news) {
        message.show(news, 'info');
        node.querySelector('h1').focus(); // the control that was used is gone with the old content
      } else message.clear();
    } catch (failure) {
      ctx.setTitle('Realm');
      message.show(describeError(failure));
      node.replaceChildren(h('h1', { tabindex: -1, text: 'Realm' }), message.element);
    }
  }
  ctx.setTitle('Realm');
  load();
  return { node };
}
