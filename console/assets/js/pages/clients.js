import { describeError } from '../api.js';
import { h, notice, time } from '../dom.js';
import { confirmAction, formDialog, showSecret } from '../dialog.js';
import { textField } from '../form.js';
import { dataTable } from '../table.js';

// The relying parties of a realm (OAuth clients, docs/oauth.md): their client_id, where their
// back-channel logout goes, and their secret — shown once, at creation and at each rotation.

const CLIENTS = `query ($realmId: ID!) { clients(realmId: $realmId) { id name backchannelLogoutUri createdAt } }`;
const FIELDS = 'client { id name } clientSecret';

function clientForm(ctx, { title, submitLabel, client, submit }) {
  return formDialog({
    title,
    submitLabel,
    content: [
      textField({ name: 'name', label: 'Name', value: client?.name ?? '' }),
      textField({
        name: 'backchannelLogoutUri',
        label: 'Back-channel logout URL (optional)',
        type: 'url',
        value: client?.backchannelLogoutUri ?? '',
        hint: 'Receives a signed logout token whenever a session of this realm ends.',
      }),
    ],
    onSubmit: (form) =>
      submit({ name: form.elements.namedItem('name').value, backchannelLogoutUri: form.elements.namedItem('backchannelLogoutUri').value.trim() || null }),
  });
}

async function secretShown(title, created) {
  await showSecret({
    title,
    secret: created.clientSecret,
    label: `Secret of ${created.client.name}`,
    note: 'Copy it now: it is shown this once and stored only as a hash.',
  });
}

export function clientsPage(ctx) {
  const { api, access, params } = ctx;
  const { realmId } = params;
  ctx.realmName(realmId).then((name) => ctx.setTitle('Clients', name));
  const news = notice();
  let manages = false;
  const actions = (c) =>
    manages
      ? h(
          'span',
          { class: 'row-actions' },
          h('button', { type: 'button', class: 'small', text: 'Edit', 'aria-label': `Edit client ${c.name}`, onclick: () => edit(c) }),
          h('button', { type: 'button', class: 'small', text: 'Rotate secret', 'aria-label': `Rotate the secret of ${c.name}`, onclick: () => rotate(c) }),
          h('button', { type: 'button', class: 'small danger', text: 'Delete', 'aria-label': `Delete client ${c.name}`, onclick: () => remove(c) }),
        )
      : '';
  const table = dataTable({
    caption: 'Clients',
    empty: 'No clients yet.',
    columns: [
      { label: 'Name', sort: (c) => c.name.toLowerCase(), cell: (c) => c.name },
      { label: 'Client ID', sort: (c) => c.id, cell: (c) => h('code', { text: c.id }) },
      { label: 'Back-channel logout', sort: (c) => c.backchannelLogoutUri ?? '', cell: (c) => c.backchannelLogoutUri ?? '' },
      { label: 'Created', sort: (c) => c.createdAt, cell: (c) => time(c.createdAt) },
      { label: 'Actions', cell: actions },
    ],
  });
  const reload = async (message) => {
    try {
      table.setRows((await api.request(CLIENTS, { realmId })).clients);
      if (message) news.show(message, 'info');
    } catch (failure) {
      news.show(describeError(failure));
    }
  };
  const create = async () => {
    const created = await clientForm(ctx, {
      title: 'Create client',
      submitLabel: 'Create client',
      submit: async (input) =>
        (await api.request(`mutation ($input: CreateClientInput!) { createClient(input: $input) { ${FIELDS} } }`, { input: { realmId, ...input } }))
          .createClient,
    });
    if (!created) return;
    await secretShown('Client created', created);
    await reload(`Client ${created.client.name} created.`);
  };
  async function edit(c) {
    const updated = await clientForm(ctx, {
      title: `Edit ${c.name}`,
      submitLabel: 'Save',
      client: c,
      submit: async (input) =>
        (await api.request('mutation ($id: ID!, $input: UpdateClientInput!) { updateClient(id: $id, input: $input) { id name } }', { id: c.id, input }))
          .updateClient,
    });
    if (updated) await reload(`Client ${updated.name} saved.`);
  }
  async function rotate(c) {
    const rotated = await confirmAction({
      title: `Rotate the secret of ${c.name}?`,
      message: 'The current secret stops working at once; the app must be given the new one.',
      confirmLabel: 'Rotate secret',
      action: async () => (await api.request(`mutation ($id: ID!) { rotateClientSecret(id: $id) { ${FIELDS} } }`, { id: c.id })).rotateClientSecret,
    });
    if (rotated) await secretShown('New client secret', rotated);
  }
  async function remove(c) {
    const removed = await confirmAction({
      title: `Delete ${c.name}?`,
      message: 'Its secret stops working at once and it gets no more back-channel logouts.',
      confirmLabel: 'Delete client',
      action: () => api.request('mutation ($id: ID!) { deleteClient(id: $id) }', { id: c.id }),
    });
    if (removed) await reload(`Client ${c.name} deleted.`);
  }
  const head = h('div', { class: 'page-head' }, h('h1', { tabindex: -1, text: 'Clients' }));
  access.managesRealm(realmId).then((allowed) => {
    manages = allowed;
    if (allowed) head.append(h('button', { type: 'button', class: 'primary', text: 'Create client', onclick: create }));
    void reload();
  });
  return { node: h('section', {}, head, news.element, table.element) };
}
