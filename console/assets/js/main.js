// The console's shell: sign-in, the navigation, and one page at a time in <main>.

import { ApiError, createApi, describeError } from './api.js';
import { probeAccess } from './access.js';
import { h } from './dom.js';
import { href, matchRoute, navigate } from './router.js';
import { signInPage } from './pages/signin.js';
import { newRealmPage, realmsPage } from './pages/realms.js';
import { realmPage } from './pages/realm.js';
import { usersPage } from './pages/users.js';
import { userPage } from './pages/user.js';
import { sessionsPage } from './pages/sessions.js';
import { feedPage } from './pages/feed.js';
import { clientsPage } from './pages/clients.js';
import { webhookPage, webhooksPage } from './pages/webhooks.js';

// sessionStorage: the key lives as long as this tab, is not shared with other tabs, and is gone
// when the tab closes. It is never put in a URL, where history and logs would keep it.
const KEY_STORAGE = 'tessera.console.adminKey';

const ROUTES = [
  { path: '/realms', page: realmsPage },
  { path: '/realms/new', page: newRealmPage },
  { path: '/realms/:realmId', page: realmPage, section: 'overview' },
  { path: '/realms/:realmId/users', page: usersPage, section: 'users' },
  { path: '/realms/:realmId/users/:userId', page: userPage, section: 'users' },
  { path: '/realms/:realmId/sessions', page: sessionsPage, section: 'sessions' },
  { path: '/realms/:realmId/feed', page: feedPage, section: 'feed' },
  { path: '/realms/:realmId/clients', page: clientsPage, section: 'clients' },
  { path: '/realms/:realmId/webhooks', page: webhooksPage, section: 'webhooks' },
  { path: '/realms/:realmId/webhooks/:endpointId', page: webhookPage, section: 'webhooks' },
];

// The sections of a realm, each shown to keys with the scope it needs.
const REALM_SECTIONS = [
  { id: 'overview', label: 'Overview', path: [], allowed: (access) => access.realmsRead },
  { id: 'users', label: 'Users', path: ['users'], allowed: (access) => access.usersRead },
  { id: 'sessions', label: 'Sessions', path: ['sessions'], allowed: (access) => access.sessionsRead },
  { id: 'feed', label: 'Live feed', path: ['feed'], allowed: (access) => access.sessionsRead },
  { id: 'clients', label: 'Clients', path: ['clients'], allowed: (access) => access.realmsRead },
  { id: 'webhooks', label: 'Webhooks', path: ['webhooks'], allowed: (access) => access.realmsRead },
];

const main = document.getElementById('main');
const header = document.getElementById('top');
let signedIn = null; // { api, access, realmNames }
let page = null; // the page shown: { dispose? }

function setTitle(...parts) {
  document.title = [...parts.filter(Boolean), 'Tessera console'].join(' · ');
}

function show(node) {
  page?.dispose?.();
  page = null;
  main.replaceChildren(node);
}

function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  signedIn = null;
  header.replaceChildren(h('span', { class: 'brand', text: 'Tessera console' }));
  setTitle('Sign in');
  show(signInPage({ message, onKey: signIn }));
}

async function signIn(key) {
  // Once signed in, a refusal means the key was revoked meanwhile; before that, the sign-in form says why.
  const api = createApi(key, {
    onUnauthenticated: () => signedIn?.api === api && signOut('Your admin key is no longer accepted (it may have been revoked). Sign in again.'),
  });
  const access = await probeAccess(api); // throws for a key the server refuses
  if (!access.any) throw new ApiError('This admin key has none of the scopes the console uses.', { code: 'CONSOLE' });
  sessionStorage.setItem(KEY_STORAGE, key);
  signedIn = { api, access, realmNames: new Map() };
  if (!location.hash.startsWith('#/')) location.replace('#/realms');
  route();
}

/** A realm's name for headings and titles (its id for keys that cannot read realms). */
function realmName(realmId) {
  const { api, access, realmNames } = signedIn;
  if (!access.realmsRead) return Promise.resolve(realmId);
  if (!realmNames.has(realmId)) {
    realmNames.set(
      realmId,
      api
        .request('query ($id: ID!) { realm(id: $id) { name } }', { id: realmId })
        .then((data) => data.realm?.name ?? realmId)
        .catch(() => realmId),
    );
  }
  return realmNames.get(realmId);
}

function renderHeader(match) {
  const { access } = signedIn;
  const realmId = match?.params.realmId;
  const realmNav = realmId
    ? h(
        'ul',
        { class: 'realm-nav' },
        REALM_SECTIONS.filter((section) => section.allowed(access)).map((section) =>
          h(
            'li',
            {},
            h('a', {
              href: href('realms', realmId, ...section.path),
              'aria-current': match.route.section === section.id ? 'page' : null,
              text: section.label,
            }),
          ),
        ),
      )
    : null;
  const realmLabel = realmId ? h('span', { class: 'realm-name', text: realmId }) : null;
  if (realmId) realmName(realmId).then((name) => (realmLabel.textContent = name));
  header.replaceChildren(
    h('a', { class: 'brand', href: '#/realms', text: 'Tessera console' }),
    h(
      'nav',
      { 'aria-label': 'Main' },
      h('ul', {}, h('li', {}, h('a', { href: '#/realms', 'aria-current': match?.route.path === '/realms' ? 'page' : null, text: 'Realms' }))),
      realmLabel,
      realmNav,
    ),
    h('button', { type: 'button', class: 'sign-out', text: 'Sign out', onclick: () => signOut() }),
  );
}

function route() {
  if (!signedIn) return;
  if (!location.hash.startsWith('#/')) return; // an in-page anchor (the skip link)
  const match = matchRoute(ROUTES, location.hash);
  renderHeader(match);
  if (!match) {
    setTitle('Not found');
    show(h('section', {}, h('h1', { tabindex: -1, text: 'Page not found' }), h('p', {}, h('a', { href: '#/realms', text: 'Back to the realms' }))));
  } else {
    const { api, access } = signedIn;
    const context = { api, access, params: match.params, query: match.query, setTitle, realmName, navigate };
    const shown = match.route.page(context);
    show(shown.node);
    page = shown;
  }
  main.querySelector('h1')?.focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
// The skip link moves the focus without touching the hash, which holds the route.
document.querySelector('.skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

const stored = sessionStorage.getItem(KEY_STORAGE);
if (stored) {
  signIn(stored).catch((error) => signOut(describeError(error)));
} else {
  signOut();
}
