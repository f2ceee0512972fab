import { h, notice, time } from '../dom.js';
import { ApiError, describeError } from '../api.js';
import { confirmAction, formDialog, showSecret } from '../dialog.js';
import { textField } from '../form.js';
import { dataTable } from '../table.js';
import { href, withQuery } from '../router.js';

const USER = `query ($id: ID!) {
  user(id: $id) { id username name email kind disabled createdAt lastLoginAt realm { id } apiKeys { id createdAt lastUsedAt revokedAt } }
}`;

function apiKeysSection(ctx, user, reload) {
  const { api, access } = ctx;
  const keys = dataTable({
    caption: 'API keys',
    empty: 'No API keys yet.',
    columns: [
      { label: 'ID', sort: (k) => k.id, cell: (k) => h('code', { text: k.id }) },
      { label: 'Created', sort: (k) => k.createdAt, cell: (k) => time(k.createdAt) },
      { label: 'Last used', sort: (k) => k.lastUsedAt, cell: (k) => time(k.lastUsedAt) },
      {
        label: 'State',
        sort: (k) => (k.revokedAt ? 1 : 0),
        cell: (k) => (k.revokedAt ? h('span', { class: 'badge off' }, 'revoked ', time(k.revokedAt)) : h('span', { class: 'badge on', text: 'active' })),
      },
      {
        label: 'Actions',
        cell: (k) =>
          access.usersManage && !k.revokedAt
            ? h('button', {
                type: 'button',
                class: 'small danger',
                text: 'Revoke',
                'aria-label': `Revoke API key ${k.id}`,
                onclick: () =>
                  confirmAction({
                    title: 'Revoke this API key?',
                    message: `Key ${k.id} stops working for new logins at once.`,
                    confirmLabel: 'Revoke key',
                    action: async () => {
                      await api.request('mutation ($id: ID!) { revokeApiKey(id: $id) }', { id: k.id });
                      reload(`API key ${k.id} revoked.`);
                    },
                  }),
              })
            : '',
      },
    ],
  });
  keys.setRows(user.apiKeys);
  const create = access.usersManage
    ? h('button', {
        type: 'button',
        class: 'primary',
        text: 'Create API key',
        onclick: async () => {
          try {
            const { createApiKey } = await api.request('mutation ($id: ID!) { createApiKey(userId: $id) { apiKey key { id } } }', { id: user.id });
            await showSecret({
              title: 'API key created',
              secret: createApiKey.apiKey,
              label: 'API key',
              note: 'Copy it now: it is shown this once and stored only as a hash.',
            });
            reload(`API key ${createApiKey.key.id} created.`);
          } catch (failure) {
            reload(null, describeError(failure));
          }
        },
      })
    : null;
  return h('section', { class: 'card' }, h('div', { class: 'section-head' }, h('h2', { text: 'API keys' }), create), keys.element);
}

function actions(ctx, user, reload) {
  const { api, access } = ctx;
  if (!access.usersManage) return null;
  const setDisabled = (disabled) =>
    api.request('mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }', { id: user.id, input: { disabled } });
  const toggle = user.disabled
    ? h('button', {
        type: 'button',
        text: 'Enable user',
        onclick: async () => {
          try {
            await setDisabled(false);
            reload(`${user.username} is enabled and may log in again.`);
          } catch (failure) {
            reload(null, describeError(failure));
          }
        },
      })
    : h('button', {
        type: 'button',
        class: 'danger',
        text: 'Disable user',
        onclick: () =>
          confirmAction({
            title: `Disable ${user.username}?`,
            message: ['They can no longer log in, and every session of theirs ends now (USER_DISABLED).'],
            confirmLabel: 'Disable user',
            action: async () => {
              await setDisabled(true);
              reload(`${user.username} is disabled.`);
            },
          }),
      });
  const password =
    user.kind === 'HUMAN'
      ? h('button', {
          type: 'button',
          text: 'Set password',
          onclick: () =>
            formDialog({
              title: `Set a new password for ${user.username}`,
              content: [
                h('p', { text: 'Every session of this user ends (PASSWORD_CHANGED): they log in again with the new password.' }),
                textField({ name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password' }),
              ],
              submitLabel: 'Set password',
              danger: true,
              onSubmit: async (form) => {
                await api.request('mutation ($id: ID!, $password: String!) { setPassword(userId: $id, password: $password) { id } }', {
                  id: user.id,
                  password: form.elements.namedItem('password').value,
                });
                reload(`The password of ${user.username} was changed.`);
              },
            }),
        })
      : null;
  return h('div', { class: 'actions start' }, toggle, password);
}

export function userPage(ctx) {
  const { api, access, params } = ctx;
  const message = notice();
  const node = h('section', {}, h('h1', { tabindex: -1, text: 'User' }), h('p', { class: 'muted', text: 'Loading…' }));

  async function load(news, failureText) {
    try {
      const { user } = await api.request(USER, { id: params.userId });
      // A user of another realm under this realm's address would mislead: treat it as missing.
      if (!user || user.realm.id !== params.realmId) throw new ApiError('User not found', { code: 'NOT_FOUND' });
      ctx.realmName(params.realmId).then((name) => ctx.setTitle(user.username, name));
      const facts = [
        ['ID', h('code', { text: user.id })],
        ['Name', user.name ?? '—'],
        ['Email', user.email ?? '—'],
        ['Kind', user.kind.toLowerCase()],
        ['Status', h('span', { class: `badge ${user.disabled ? 'off' : 'on'}`, text: user.disabled ? 'disabled' : 'active' })],
        ['Created', time(user.createdAt)],
        ['Last login', time(user.lastLoginAt)],
      ];
      const sessionsLink = access.sessionsRead
        ? h('a', { class: 'button', href: withQuery(href('realms', params.realmId, 'sessions'), { user: user.id }), text: 'Sessions' })
        : null;
      node.replaceChildren(
        h('div', { class: 'page-head' }, h('h1', { tabindex: -1, text: user.username }), sessionsLink),
        message.element,
        h(
          'section',
          { class: 'card' },
          h(
            'dl',
            { class: 'facts' },
            facts.map(([term, value]) => [h('dt', { text: term }), h('dd', {}, value)]),
          ),
          actions(ctx, user, load),
        ),
        user.kind === 'API' ? apiKeysSection(ctx, user, load) : null,
      );
      if (failureText) message.show(failureText);
      else if (news) message.show(news, 'info');
      else message.clear();
      if (news || failureText) node.querySelector('h1').focus();
    } catch (failure) {
      ctx.setTitle('User');
      message.show(describeError(failure));
      node.replaceChildren(h('h1', { tabindex: -1, text: 'User' }), message.element);
    }
  }
  ctx.setTitle('User');
  load();
  return { node };
}
