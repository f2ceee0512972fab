import { h, notice, time } from '../dom.js';
import { pagedTable } from '../table.js';
import { href } from '../router.js';
import { clearFieldErrors, showError, textField } from '../form.js';
import { NEW_REALM, REALM_FIELDS, changedSettings, settingsFields } from './realm-settings.js';

const REALMS = `query ($first: Int, $after: String) {
  realms(first: $first, after: $after) { edges { node { id name jwtAlgorithm sessionType maxActiveSessions createdAt } } pageInfo { hasNextPage endCursor } }
}`;

const CAPABILITIES = [
  ['realmsRead', 'read realms'],
  ['createRealms', 'create realms'],
  ['usersRead', 'read users'],
  ['usersManage', 'manage users'],
  ['sessionsRead', 'read sessions'],
  ['sessionsTerminate', 'terminate sessions'],
];

function capabilities(access) {
  const can = CAPABILITIES.filter(([name]) => access[name]).map(([, text]) => text);
  return h('p', { class: 'muted' }, `This admin key may ${can.join(', ')}.`);
}

/** For a key without REALMS_READ: it cannot list realms, but may know the id of its own. */
function openById(ctx) {
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    h('h2', { text: 'Open a realm' }),
    h('p', { text: 'This key may not list realms (it lacks REALMS_READ). Enter the id of the realm to work in.' }),
    textField({ name: 'realmId', label: 'Realm id' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: 'Open' })),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const realmId = form.elements.namedItem('realmId').value.trim();
    if (realmId) ctx.navigate(href('realms', realmId, ctx.access.usersRead ? 'users' : 'sessions'));
  });
  return form;
}

export function realmsPage(ctx) {
  const { api, access } = ctx;
  ctx.setTitle('Realms');
  const heading = h(
    'div',
    { class: 'page-head' },
    h('h1', { tabindex: -1, text: 'Realms' }),
    access.createRealms ? h('a', { class: 'button primary', href: '#/realms/new', text: 'Create realm' }) : null,
  );
  if (!access.realmsRead) return { node: h('section', {}, heading, capabilities(access), openById(ctx)) };
  const table = pagedTable({
    label: 'Realms',
    empty: access.createRealms ? 'No realms yet: create the first one.' : 'No realms.',
    columns: [
      { label: 'Name', sort: (r) => r.name.toLowerCase(), cell: (r) => h('a', { href: href('realms', r.id), text: r.name }) },
      { label: 'ID', sort: (r) => r.id, cell: (r) => h('code', { text: r.id }) },
      { label: 'Algorithm', sort: (r) => r.jwtAlgorithm, cell: (r) => r.jwtAlgorithm },
      { label: 'Sessions', sort: (r) => r.sessionType, cell: (r) => r.sessionType.toLowerCase() },
      { label: 'Max per user', sort: (r) => r.maxActiveSessions, cell: (r) => String(r.maxActiveSessions) },
      { label: 'Created', sort: (r) => r.createdAt, cell: (r) => time(r.createdAt) },
    ],
    load: async (page) => (await api.request(REALMS, page)).realms,
  });
  table.reload();
  return { node: h('section', {}, heading, capabilities(access), table.element) };
}

export function newRealmPage(ctx) {
  const { api } = ctx;
  ctx.setTitle('New realm');
  const error = notice();
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Create realm' });
  const form = h(
    'form',
    { class: 'card settings', novalidate: true },
    settingsFields(NEW_REALM),
    error.element,
    h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/realms', text: 'Cancel' }), submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    error.clear();
    submit.disabled = true;
    try {
      const input = { ...changedSettings(form, NEW_REALM), name: form.elements.namedItem('name').value };
      const { createRealm } = await api.request(`mutation ($input: CreateRealmInput!) { createRealm(input: $input) { ${REALM_FIELDS} } }`, { input });
      ctx.navigate(href('realms', createRealm.id));
    } catch (failure) {
      showError(form, failure, error);
    } finally {
      submit.disabled = false;
    }
  });
  return { node: h('section', {}, h('div', { class: 'page-head' }, h('h1', { tabindex: -1, text: 'New realm' })), form) };
}
