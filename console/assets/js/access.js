// What the signed-in admin key may do, so that the console offers only that.
//
// The API has no "who am I" for admin keys, so the console asks questions that change nothing and
// whose answer is FORBIDDEN exactly when a scope is missing: the server checks the scope before it
// looks anything up (an id that cannot exist is then NOT_FOUND) and before it validates input (an
// empty name is then BAD_USER_INPUT). The realm limit needs no question: a limited key is only
// ever shown its own realm. Should a question still be answered wrongly, the action it unlocked
// gets FORBIDDEN from the server, shown in words — the server stays the one that decides.

import { ApiError } from './api.js';

const NO_SUCH_ID = 'console-probe';

const QUESTIONS = {
  realmsRead: ['query { realms(first: 1) { edges { cursor } } }', 'OK'],
  createRealms: ['mutation { createRealm(input: { name: "" }) { id } }', 'BAD_USER_INPUT'],
  usersRead: [`query { user(id: "${NO_SUCH_ID}") { id } }`, 'NOT_FOUND'],
  usersManage: [`mutation { revokeApiKey(id: "${NO_SUCH_ID}") }`, 'NOT_FOUND'],
  sessionsRead: [`query { session(id: "${NO_SUCH_ID}") { id } }`, 'NOT_FOUND'],
  sessionsTerminate: [`mutation { terminateSession(id: "${NO_SUCH_ID}") { id } }`, 'NOT_FOUND'],
};

/** The code an operation answers with ('OK' without error); only a dead key or server throws. */
async function answer(api, query, variables) {
  try {
    await api.request(query, variables);
    return 'OK';
  } catch (error) {
    if (!(error instanceof ApiError) || ['UNAUTHENTICATED', 'NETWORK', 'HTTP', 'SERVICE_UNAVAILABLE'].includes(error.code)) throw error;
    return error.code;
  }
}

export async function probeAccess(api) {
  const entries = await Promise.all(Object.entries(QUESTIONS).map(async ([name, [query, allowed]]) => [name, (await answer(api, query)) === allowed]));
  const access = Object.fromEntries(entries);
  const manages = new Map();
  /** REALMS_MANAGE on this realm: a key that may create realms has it everywhere. */
  access.managesRealm = (realmId) => {
    if (access.createRealms) return Promise.resolve(true);
    if (!manages.has(realmId)) {
      const query = 'mutation ($id: ID!) { updateRealm(id: $id, input: { name: "" }) { id } }';
      manages.set(
        realmId,
        answer(api, query, { id: realmId }).then((code) => code === 'BAD_USER_INPUT'),
      );
    }
    return manages.get(realmId);
  };
  access.any = entries.some(([, allowed]) => allowed);
  return access;
}
