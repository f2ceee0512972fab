import { ago, h, notice, time } from '../dom.js';
import { describeError } from '../api.js';
import { confirmAction, formDialog } from '../dialog.js';
import { pagedTable } from '../table.js';
import { href, withQuery } from '../router.js';
import { describeClient } from '../user-agent.js';

const SESSION_FIELDS = 'id state createdAt lastActiveAt expiresAt idleExpiresAt ip userAgent app terminatedAt terminationReason user { id username }';
const SESSIONS = `query ($realmId: ID!, $userId: ID, $state: SessionState, $first: Int, $after: String) {
  sessions(realmId: $realmId, userId: $userId, state: $state, first: $first, after: $after) {
    edges { node { ${SESSION_FIELDS} } } pageInfo { hasNextPage endCursor }
  }
}`;
/** A user has at most 100 active sessions (maxActiveSessions ≤ 100): one page holds them all. */
const ACTIVE_OF_USER = `query ($realmId: ID!, $userId: ID!) {
  sessions(realmId: $realmId, userId: $userId, state: ACTIVE, first: 100) { edges { node { id lastActiveAt createdAt ip userAgent app } } }
}`;
/** Aliases per request: the API allows 10. */
const BATCH = 10;

const STATES = [
  ['', 'All states'],
  ['ACTIVE', 'Active'],
  ['TERMINATED', 'Terminated'],
  ['EXPIRED', 'Expired'],
];

function stateCell(s) {
  const badge = h('span', { class: `badge ${s.state === 'ACTIVE' ? 'on' : 'off'}`, text: s.state.toLowerCase() });
  return s.terminationReason ? [badge, ' ', h('span', { class: 'reason', text: s.terminationReason })] : badge;
}

function expiryCell(s) {
  if (s.state !== 'ACTIVE') return s.terminatedAt ? ['ended ', time(s.terminatedAt)] : '—';
  const idleFirst = s.idleExpiresAt && s.idleExpiresAt < s.expiresAt;
  return [time(idleFirst ? s.idleExpiresAt : s.expiresAt), idleFirst ? h('span', { class: 'muted', text: ' (idle)' }) : null];
}

/** Ends the sessions one by one, ten to a request. */
async function terminateEach(api, ids) {
  for (let i = 0; i < ids.length; i += BATCH) {
    const batch = ids.slice(i, i + BATCH);
    const variables = Object.fromEntries(batch.map((id, n) => [`s${n}`, id]));
    const definitions = batch.map((_, n) => `$s${n}: ID!`).join(', ');
    const fields = batch.map((_, n) => `s${n}: terminateSession(id: $s${n}) { id }`).join(' ');
    await api.request(`mutation (${definitions}) { ${fields} }`, variables);
  }
}

function keepOneDialog(ctx, userId, done) {
  return async () => {
    const { sessions } = await ctx.api.request(ACTIVE_OF_USER, { realmId: ctx.params.realmId, userId });
    const active = sessions.edges.map((edge) => edge.node).sort((a, b) => b.lastActiveAt.localeCompare(a.lastActiveAt));
    if (active.length < 2) return done(active.length ? 'Only one session is active: there is nothing else to end.' : 'No session is active.');
    const choices = active.map((s, i) =>
      h(
        'label',
        { class: 'choice' },
        h('input', { type: 'radio', name: 'keep', value: s.id, checked: i === 0 }),
        h(
          'span',
          {},
          h('strong', { text: describeClient(s.userAgent) }),
          ` · ${s.ip ?? 'no IP'}${s.app ? ` · ${s.app}` : ''} · last active ${ago(s.lastActiveAt)}`,
          h('br'),
          h('code', { class: 'muted', text: s.id }),
        ),
      ),
    );
    await formDialog({
      title: 'Terminate all sessions but one',
      content: [
        h('p', { text: 'Choose the session to keep; the other active sessions end now (TERMINATED_BY_ADMIN).' }),
        h('fieldset', { class: 'choices', dataset: { field: 'keep' } }, h('legend', { text: 'Session to keep' }), choices),
      ],
      submitLabel: `Terminate ${active.length - 1} other session${active.length === 2 ? '' : 's'}`,
      danger: true,
      onSubmit: async (form) => {
        const keep = form.querySelector('input[name=keep]:checked')?.value;
        await terminateEach(
          ctx.api,
          active.filter((s) => s.id !== keep).map((s) => s.id),
        );
        done(`${active.length - 1} session${active.length === 2 ? '' : 's'} terminated; session ${keep} kept.`);
      },
    });
  };
}

export function sessionsPage(ctx) {
  const { api, access, params, query } = ctx;
  const { realmId } = params;
  const userId = query.get('user');
  let state = query.get('state') ?? '';
  const message = notice();
  const heading = h('h1', { tabindex: -1, text: 'Sessions' });
  ctx.realmName(realmId).then((name) => ctx.setTitle('Sessions', name));

  const done = (text, kind = 'info') => {
    message.show(text, kind);
    table.refresh();
  };
  const columns = [
    userId
      ? null
      : { label: 'User', sort: (s) => s.user.username, cell: (s) => h('a', { href: href('realms', realmId, 'users', s.user.id), text: s.user.username }) },
    { label: 'IP', sort: (s) => s.ip, cell: (s) => s.ip ?? '—' },
    { label: 'Client', sort: (s) => s.userAgent, cell: (s) => h('span', { title: s.userAgent ?? '', text: describeClient(s.userAgent) }) },
    { label: 'App', sort: (s) => s.app, cell: (s) => s.app ?? '—' },
    { label: 'Created', sort: (s) => s.createdAt, cell: (s) => time(s.createdAt) },
    {
      label: 'Last active',
      sort: (s) => s.lastActiveAt,
      cell: (s) => h('span', { title: new Date(s.lastActiveAt).toLocaleString(), text: ago(s.lastActiveAt) }),
    },
    { label: 'Expires', sort: (s) => s.expiresAt, cell: expiryCell },
    { label: 'State', sort: (s) => s.state + (s.terminationReason ?? ''), cell: stateCell },
    access.sessionsTerminate
      ? {
          label: 'Actions',
          cell: (s) =>
            s.state === 'ACTIVE'
              ? h('button', {
                  type: 'button',
                  class: 'small danger',
                  text: 'Terminate',
                  'aria-label': `Terminate session ${s.id}`,
                  onclick: () =>
                    confirmAction({
                      title: 'Terminate this session?',
                      message: [
                        `${describeClient(s.userAgent)} · ${s.ip ?? 'no IP'} · last active ${ago(s.lastActiveAt)}`,
                        'The device is signed out at once (TERMINATED_BY_ADMIN) and cannot use this session again.',
                      ],
                      confirmLabel: 'Terminate session',
                      action: async () => {
                        await api.request('mutation ($id: ID!) { terminateSession(id: $id) { id } }', { id: s.id });
                        done(`Session ${s.id} terminated.`);
                      },
                    }),
                })
              : '',
        }
      : null,
  ].filter(Boolean);

  const table = pagedTable({
    label: 'Sessions',
    empty: 'No sessions.',
    columns,
    load: async (page) => (await api.request(SESSIONS, { realmId, userId, state: state || null, ...page })).sessions,
  });
  const filter = h(
    'select',
    {
      'aria-label': 'State',
      onchange: () => {
        state = filter.value;
        history.replaceState(null, '', withQuery(href('realms', realmId, 'sessions'), { user: userId, state }));
        table.reload();
      },
    },
    STATES.map(([value, text]) => h('option', { value, selected: value === state, text })),
  );

  let bulk = null;
  if (userId) {
    api
      .request('query ($id: ID!) { user(id: $id) { username } }', { id: userId })
      .then(({ user }) => (heading.textContent = `Sessions of ${user.username}`))
      .catch(() => (heading.textContent = `Sessions of ${userId}`));
    if (access.sessionsTerminate) {
      const failed = (failure) => done(describeError(failure), 'error');
      bulk = h(
        'div',
        { class: 'actions start' },
        h('button', {
          type: 'button',
          class: 'danger',
          text: 'Terminate all',
          onclick: () =>
            confirmAction({
              title: 'Terminate all sessions of this user?',
              message: 'Every active session of the user ends now (TERMINATED_BY_ADMIN), on every device.',
              confirmLabel: 'Terminate all',
              action: async () => {
                const { terminateAllSessions: count } = await api.request('mutation ($id: ID!) { terminateAllSessions(userId: $id) }', { id: userId });
                done(`${count} session${count === 1 ? '' : 's'} terminated.`);
              },
            }),
        }),
        h('button', { type: 'button', text: 'Terminate all but one…', onclick: () => keepOneDialog(ctx, userId, done)().catch(failed) }),
      );
    }
  }
  table.reload();
  return {
    node: h(
      'section',
      {},
      h('div', { class: 'page-head' }, heading, userId ? h('a', { href: href('realms', realmId, 'users', userId), text: 'User profile' }) : null),
      message.element,
      h('div', { class: 'toolbar' }, filter, h('button', { type: 'button', text: 'Refresh', onclick: () => table.refresh() }), bulk),
      table.element,
    ),
  };
}
