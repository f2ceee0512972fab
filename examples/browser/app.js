// A page that logs in with @tessera/client and is logged out, in every open tab, the moment the
// session ends anywhere (an admin in the console, another device, a password change).
import { createTesseraClient, localStorageAdapter } from '/client/index.js';

const TESSERA = new URLSearchParams(location.search).get('tessera') ?? 'http://localhost:4000';
const status = document.getElementById('status');
const logoutButton = document.getElementById('logout');
const form = document.getElementById('login');
let client;

function start(realmId) {
  client?.close();
  localStorage.setItem('example.realm', realmId);
  client = createTesseraClient({ url: TESSERA, realmId, app: 'browser-example', storage: localStorageAdapter() });
  client.onSessionTerminated((t) => {
    status.textContent = `Logged out: ${t.reason} (session ${t.sessionId}).`;
    logoutButton.hidden = true;
  });
  client.currentLogin().then((login) => login && showLogin(login));
}

function showLogin(login) {
  status.textContent = `Logged in as ${login.userId}, session ${login.sessionId}. Terminate it in the console (/console) and watch.`;
  logoutButton.hidden = false;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  start(String(data.get('realm')));
  try {
    showLogin(await client.login({ username: String(data.get('username')), password: String(data.get('password')) }));
  } catch (error) {
    status.textContent = `Login failed: ${error.code ?? ''} ${error.message}`;
  }
});
logoutButton.addEventListener('click', () => client.logout());

const realm = localStorage.getItem('example.realm');
if (realm) start(realm);
