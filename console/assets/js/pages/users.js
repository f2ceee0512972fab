import { h, time } from '../dom.js';
import { pagedTable } from '../table.js';
import { href, withQuery } from '../router.js';
import { formDialog } from '../dialog.js';
import { selectField, textField } from '../form.js';

const USERS = `query ($realmId: ID!, $query: String, $first: Int, $after: String) {
  users(realmId: $realmId, query: $query, first: $first, after: $after) {
    edges { node { id username name email kind disabled createdAt lastLoginAt } } pageInfo { hasNextPage endCursor }
  }
}`;

const SEARCH_DELAY_MS = 250;

function createUser(ctx) {
  const { realmId } = ctx.params;
  const password = textField({ name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password' });
  const kind = selectField({
    name: 'kind',
    label: 'Kind',
    value: 'HUMAN',
    options: [
      ['HUMAN', 'Human (logs in with a password)'],
      ['API', 'API (logs in with API keys)'],
    ],
  });
  kind.querySelector('select').addEventListener('change', (event) => (password.hidden = event.target.value !== 'HUMAN'));
  return formDialog({
    title: 'Create user',
    submitLabel: 'Create user',
    content: [
      kind,
      textField({ name: 'username', label: 'Username' }),
      password,
      textField({ name: 'email', label: 'Email (optional)', type: 'email' }),
      textField({ name: 'firstName', label: 'First name (optional)' }),
      textField({ name: 'lastName', label: 'Last name (optional)' }),
    ],
    onSubmit: async (form) => {
      const value = (name) => form.elements.namedItem(name).value.trim() || null;
      const input = { realmId, kind: form.elements.namedItem('kind').value, username: form.elements.namedItem('username').value };
      if (input.kind === 'HUMAN') input.password = form.elements.namedItem('password').value;
      for (const name of ['email', 'firstName', 'lastName']) if (value(name)) input[name] = value(name);
      const { createUser: user } = await ctx.api.request('mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }', { input });
      return user;
    },
  });
}

export function usersPage(ctx) {
  const { api, access, params } = ctx;
  const { realmId } = params;
  let query = ctx.query.get('q') ?? '';
  ctx.realmName(realmId).then((name) => ctx.setTitle('Users', name));
  const table = pagedTable({
    label: 'Users',
    empty: 'No users match.',
    columns: [
      { label: 'Username', sort: (u) => u.username.toLowerCase(), cell: (u) => h('a', { href: href('realms', realmId, 'users', u.id), text: u.username }) },
      { label: 'Name', sort: (u) => u.name?.toLowerCase(), cell: (u) => u.name ?? '' },
      { label: 'Email', sort: (u) => u.email?.toLowerCase(), cell: (u) => u.email ?? '' },
      { label: 'Kind', sort: (u) => u.kind, cell: (u) => u.kind.toLowerCase() },
      {
        label: 'Status',
        sort: (u) => (u.disabled ? 1 : 0),
        cell: (u) => h('span', { class: `badge ${u.disabled ? 'off' : 'on'}`, text: u.disabled ? 'disabled' : 'active' }),
      },
      { label: 'Created', sort: (u) => u.createdAt, cell: (u) => time(u.createdAt) },
      { label: 'Last login', sort: (u) => u.lastLoginAt, cell: (u) => time(u.lastLoginAt) },
    ],
    load: async (page) => (await api.request(USERS, { realmId, query: query || null, ...page })).users,
  });
  let timer;
  const search = h('input', {
    type: 'search',
    name: 'q',
    value: query,
    placeholder: 'Username, name or email',
    'aria-label': 'Search users',
    autocomplete: 'off',
    oninput: () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        query = search.value.trim();
        // Keep the search in the address (for reload and back) without re-rendering the page.
        history.replaceState(null, '', withQuery(href('realms', realmId, 'users'), { q: query }));
        table.reload();
      }, SEARCH_DELAY_MS);
    },
  });
  const create = access.usersManage
    ? h('button', {
        type: 'button',
        class: 'primary',
        text: 'Create user',
        onclick: async () => {
          const user = await createUser(ctx);
          if (user) ctx.navigate(href('realms', realmId, 'users', user.id));
        },
      })
    : null;
  table.reload();
  return {
    node: h(
      'section',
      {},
      h('div', { class: 'page-head' }, h('h1', { tabindex: -1, text: 'Users' }), create),
      h('form', { class: 'search', role: 'search', novalidate: true, onsubmit: (event) => event.preventDefault() }, search),
      table.element,
    ),
    dispose: () => clearTimeout(timer),
  };
}
