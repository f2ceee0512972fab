import { ApiError, describeError } from '../api.js';
import { h, notice, time } from '../dom.js';
import { confirmAction, formDialog, showSecret } from '../dialog.js';
import { checkboxGroup, checkedValues, textField } from '../form.js';
import { href } from '../router.js';
import { dataTable, pagedTable } from '../table.js';

// The webhook endpoints of a realm (docs/webhooks.md): where its session events are POSTed, which
// of them, and the whsec_ secret that signs them — shown once, at creation and at each rotation,
// since no field of the API returns it again. An endpoint's page lists its deliveries.

const EVENT_TYPES = [
  ['SESSION_CREATED', 'Session created'],
  ['SESSION_REFRESHED', 'Session refreshed'],
  ['SESSION_TERMINATED', 'Session terminated'],
];
const ENDPOINT_FIELDS = 'id url description eventTypes enabled disabledReason createdAt';
const ENDPOINTS = `query ($realmId: ID!) { webhookEndpoints(realmId: $realmId) { ${ENDPOINT_FIELDS} } }`;
const CREATED_FIELDS = `secret endpoint { ${ENDPOINT_FIELDS} }`;
const DELIVERY_FIELDS = 'id eventId eventType status attempts lastResponseStatus lastError nextAttemptAt deliveredAt createdAt';
const ENDPOINT = `query ($id: ID!, $first: Int, $after: String) { webhookEndpoint(id: $id) { ${ENDPOINT_FIELDS} realm { id }
  deliveries(first: $first, after: $after) { edges { node { ${DELIVERY_FIELDS} } } pageInfo { hasNextPage endCursor } } } }`;

/** What an admin calls an endpoint: its description, else its URL. */
const nameOf = (e) => e.description || e.url;

const eventLabel = (type) => EVENT_TYPES.find(([value]) => value === type)?.[1] ?? type;

function endpointState(e) {
  if (e.enabled) return h('span', { class: 'badge on', text: 'enabled' });
  const badge = h('span', { class: 'badge off', text: 'disabled' });
  return e.disabledReason ? [badge, ' ', h('span', { class: 'reason', text: e.disabledReason })] : badge;
}

const DELIVERY_STATES = { SUCCEEDED: ['on', 'delivered'], PENDING: ['off', 'pending'], FAILED: ['fail', 'failed'] };

function deliveryState(d) {
  const [kind, text] = DELIVERY_STATES[d.status] ?? ['off', d.status.toLowerCase()];
  return h('span', { class: `badge ${kind}`, text });
}

function endpointForm({ title, submitLabel, endpoint, submit }) {
  const editing = Boolean(endpoint);
  return formDialog({
    title,
    submitLabel,
    content: [
      textField({
        name: 'url',
        label: 'URL',
        type: 'url',
        value: endpoint?.url ?? '',
        hint: 'Receives a signed POST for each event (Standard Webhooks). HTTPS; the server checks where it points.',
      }),
      checkboxGroup({ name: 'eventTypes', legend: 'Events', values: endpoint?.eventTypes ?? EVENT_TYPES.map(([value]) => value), options: EVENT_TYPES }),
      textField({ name: 'description', label: 'Description (optional)', value: endpoint?.description ?? '' }),
      editing
        ? h(
            'div',
            { class: 'field', dataset: { field: 'enabled' } },
            h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'enabled', checked: endpoint.enabled }), ' Enabled'),
            h('p', { class: 'hint', text: 'A disabled endpoint is sent nothing, and events meanwhile are not kept for it.' }),
            h('p', { class: 'field-error', hidden: true }),
          )
        : null,
    ],
    onSubmit: (form) => {
      const description = form.elements.namedItem('description').value.trim() || null;
      const input = { url: form.elements.namedItem('url').value.trim(), eventTypes: checkedValues(form, 'eventTypes'), description };
      if (editing) input.enabled = form.elements.namedItem('enabled').checked;
      return submit(input);
    },
  });
}

async function secretShown(title, created) {
  await showSecret({
    title,
    secret: created.secret,
    label: `Signing secret of ${nameOf(created.endpoint)}`,
    note: 'Copy it now: it is shown this once. The receiver verifies every request with it (any Standard Webhooks library).',
  });
}

export function webhooksPage(ctx) {
  const { api, access, params } = ctx;
  const { realmId } = params;
  ctx.realmName(realmId).then((name) => ctx.setTitle('Webhooks', name));
  const news = notice();
  let manages = false;
  const actions = (e) =>
    h(
      'span',
      { class: 'row-actions' },
      h('a', { class: 'button small', href: href('realms', realmId, 'webhooks', e.id), text: 'Deliveries', 'aria-label': `Deliveries of ${nameOf(e)}` }),
      manages
        ? [
            h('button', { type: 'button', class: 'small', text: 'Edit', 'aria-label': `Edit endpoint ${nameOf(e)}`, onclick: () => edit(e) }),
            h('button', { type: 'button', class: 'small', text: 'Rotate secret', 'aria-label': `Rotate the secret of ${nameOf(e)}`, onclick: () => rotate(e) }),
            h('button', { type: 'button', class: 'small danger', text: 'Delete', 'aria-label': `Delete endpoint ${nameOf(e)}`, onclick: () => remove(e) }),
          ]
        : null,
    );
  const table = dataTable({
    caption: 'Webhook endpoints',
    empty: 'No webhook endpoints yet.',
    columns: [
      {
        label: 'URL',
        sort: (e) => e.url,
        cell: (e) => [h('code', { text: e.url }), e.description ? h('div', { class: 'muted', text: e.description }) : null],
      },
      { label: 'Events', cell: (e) => e.eventTypes.map(eventLabel).join(', ') },
      { label: 'State', sort: (e) => (e.enabled ? 0 : 1), cell: endpointState },
      { label: 'Created', sort: (e) => e.createdAt, cell: (e) => time(e.createdAt) },
      { label: 'Actions', cell: actions },
    ],
  });
  const reload = async (message) => {
    try {
      table.setRows((await api.request(ENDPOINTS, { realmId })).webhookEndpoints);
      if (message) news.show(message, 'info');
    } catch (failure) {
      news.show(describeError(failure));
    }
  };
  const create = async () => {
    const created = await endpointForm({
      title: 'Create webhook endpoint',
      submitLabel: 'Create endpoint',
      submit: async (input) =>
        (
          await api.request(`mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { ${CREATED_FIELDS} } }`, {
            input: { realmId, ...input },
          })
        ).createWebhookEndpoint,
    });
    if (!created) return;
    await secretShown('Webhook endpoint created', created);
    await reload(`Endpoint ${nameOf(created.endpoint)} created.`);
  };
  async function edit(e) {
    const updated = await endpointForm({
      title: `Edit ${nameOf(e)}`,
      submitLabel: 'Save',
      endpoint: e,
      submit: async (input) =>
        (
          await api.request(
            `mutation ($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) { ${ENDPOINT_FIELDS} } }`,
            { id: e.id, input },
          )
        ).updateWebhookEndpoint,
    });
    if (updated) await reload(`Endpoint ${nameOf(updated)} saved.`);
  }
  async function rotate(e) {
    const rotated = await confirmAction({
      title: `Rotate the secret of ${nameOf(e)}?`,
      message: 'For 24 hours every request is signed with both the new and the old secret, so the receiver can switch without missing one.',
      confirmLabel: 'Rotate secret',
      action: async () => (await api.request(`mutation ($id: ID!) { rotateWebhookSecret(id: $id) { ${CREATED_FIELDS} } }`, { id: e.id })).rotateWebhookSecret,
    });
    if (rotated) await secretShown('New signing secret', rotated);
  }
  async function remove(e) {
    const removed = await confirmAction({
      title: `Delete ${nameOf(e)}?`,
      message: 'It is sent nothing more, and its deliveries are deleted with it.',
      confirmLabel: 'Delete endpoint',
      action: () => api.request('mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: e.id }),
    });
    if (removed) await reload(`Endpoint ${nameOf(e)} deleted.`);
  }
  const head = h('div', { class: 'page-head' }, h('h1', { tabindex: -1, text: 'Webhooks' }));
  access.managesRealm(realmId).then((allowed) => {
    manages = allowed;
    if (allowed) head.append(h('button', { type: 'button', class: 'primary', text: 'Create endpoint', onclick: create }));
    void reload();
  });
  return { node: h('section', {}, head, news.element, table.element) };
}

/** One endpoint: what it is, and its deliveries (newest first) with a Redeliver for each. */
export function webhookPage(ctx) {
  const { api, access, params } = ctx;
  const { realmId, endpointId } = params;
  ctx.setTitle('Webhook');
  ctx.realmName(realmId).then((name) => ctx.setTitle('Deliveries', name));
  const news = notice();
  const facts = h('dl', { class: 'facts' });
  let manages = false;
  const load = async ({ first, after }) => {
    const { webhookEndpoint: e } = await api.request(ENDPOINT, { id: endpointId, first, after });
    // An endpoint of another realm under this realm's address would mislead: treat it as missing.
    if (!e || e.realm.id !== realmId) throw new ApiError('WebhookEndpoint not found', { code: 'NOT_FOUND' });
    const rows = [
      ['ID', h('code', { text: e.id })],
      ['URL', h('code', { text: e.url })],
      ['Description', e.description ?? '—'],
      ['Events', e.eventTypes.map(eventLabel).join(', ')],
      ['State', endpointState(e)],
      ['Created', time(e.createdAt)],
    ];
    facts.replaceChildren(...rows.flatMap(([term, value]) => [h('dt', { text: term }), h('dd', {}, value)]));
    return e.deliveries;
  };
  async function redeliver(d) {
    try {
      await api.request('mutation ($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }', { id: d.id });
      news.show(`Delivery of event ${d.eventId} queued again.`, 'info');
    } catch (failure) {
      news.show(describeError(failure));
    }
    await deliveries.refresh();
  }
  const deliveries = pagedTable({
    caption: 'Deliveries',
    empty: 'No deliveries yet.',
    label: 'Deliveries',
    columns: [
      { label: 'Event', sort: (d) => d.eventType, cell: (d) => [eventLabel(d.eventType), h('div', {}, h('code', { text: d.eventId }))] },
      { label: 'Status', sort: (d) => d.status, cell: deliveryState },
      { label: 'Attempts', sort: (d) => d.attempts, cell: (d) => String(d.attempts) },
      {
        label: 'Last response',
        sort: (d) => d.lastResponseStatus ?? '',
        cell: (d) => [
          d.lastResponseStatus === null ? '—' : String(d.lastResponseStatus),
          d.lastError ? h('div', { class: 'reason', text: d.lastError }) : null,
        ],
      },
      { label: 'Next attempt', sort: (d) => d.nextAttemptAt ?? '', cell: (d) => time(d.nextAttemptAt) },
      { label: 'Delivered', sort: (d) => d.deliveredAt ?? '', cell: (d) => time(d.deliveredAt) },
      {
        label: 'Actions',
        cell: (d) =>
          manages
            ? h('button', { type: 'button', class: 'small', text: 'Redeliver', 'aria-label': `Redeliver event ${d.eventId}`, onclick: () => redeliver(d) })
            : '',
      },
    ],
    load,
  });
  const refresh = h('button', {
    type: 'button',
    text: 'Refresh',
    onclick: () => {
      news.clear();
      void deliveries.refresh();
    },
  });
  const head = h(
    'div',
    { class: 'page-head' },
    h('h1', { tabindex: -1, text: 'Webhook deliveries' }),
    h('span', { class: 'head-actions' }, h('a', { class: 'button', href: href('realms', realmId, 'webhooks'), text: 'All endpoints' }), refresh),
  );
  access.managesRealm(realmId).then((allowed) => {
    manages = allowed;
    void deliveries.reload();
  });
  return { node: h('section', {}, head, news.element, h('section', { class: 'card' }, facts), deliveries.element) };
}
