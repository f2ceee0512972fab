// The settings form of a realm, for creating one and for changing one. Only the fields that differ
// from where the form started are sent: the server's defaults and rules stay the server's.

import { h } from '../dom.js';
import { checkboxGroup, checkedValues, integerValue, selectField, textField } from '../form.js';

export const REALM_FIELDS = 'id name jwtAlgorithm jwtFields sessionType sessionMinutes apiKeyMinutes accessTokenSeconds idleTimeoutSeconds maxActiveSessions';

/** What a new realm starts with (the server's defaults). */
export const NEW_REALM = {
  name: '',
  jwtAlgorithm: 'HS256',
  jwtFields: [],
  sessionType: 'MANAGED',
  sessionMinutes: 600,
  apiKeyMinutes: 1440,
  accessTokenSeconds: 300,
  idleTimeoutSeconds: 1800,
  maxActiveSessions: 10,
};

const INTEGER_FIELDS = ['sessionMinutes', 'apiKeyMinutes', 'accessTokenSeconds', 'idleTimeoutSeconds', 'maxActiveSessions'];

export function settingsFields(realm, { disabled = false } = {}) {
  const number = (name, label, hint) => textField({ name, label, value: realm[name] ?? '', inputmode: 'numeric', hint, disabled });
  return [
    textField({ name: 'name', label: 'Name', value: realm.name, disabled }),
    h(
      'fieldset',
      { class: 'group' },
      h('legend', { text: 'Login tokens' }),
      selectField({
        name: 'jwtAlgorithm',
        label: 'Signing algorithm',
        value: realm.jwtAlgorithm,
        options: [
          ['HS256', 'HS256 (shared secret)'],
          ['RS256', 'RS256 (key pair, JWKS)'],
        ],
        hint: 'Changing it creates a signing key of the new kind.',
        disabled,
      }),
      checkboxGroup({
        name: 'jwtFields',
        legend: 'Extra claims',
        values: realm.jwtFields,
        options: [
          ['MEMBERSHIPS', 'Memberships'],
          ['ORGS', 'Orgs'],
          ['CUSTOM_ATTRIBUTES', 'Custom attributes'],
        ],
        hint: 'Orgs need memberships. Every claim makes tokens larger.',
        disabled,
      }),
      number('accessTokenSeconds', 'Login token lifetime (seconds)', 'Managed sessions: how long one login token is valid before a refresh.'),
    ),
    h(
      'fieldset',
      { class: 'group' },
      h('legend', { text: 'Sessions' }),
      selectField({
        name: 'sessionType',
        label: 'Session type',
        value: realm.sessionType,
        options: [
          ['MANAGED', 'Managed (listed, refreshed, can be ended)'],
          ['UNMANAGED', 'Unmanaged (the token is the session)'],
        ],
        disabled,
      }),
      number('sessionMinutes', 'Session length (minutes)', 'Longest a session lasts. Empty: open-ended (unmanaged only).'),
      number('idleTimeoutSeconds', 'Idle timeout (seconds)', 'Managed: end a session not refreshed for this long. Empty: none.'),
      number('maxActiveSessions', 'Active sessions per user', 'Managed: a login beyond it ends the oldest session.'),
      number('apiKeyMinutes', 'API-user session length (minutes)', 'Empty: open-ended.'),
    ),
  ];
}

function readSettings(form) {
  const values = {
    name: form.elements.namedItem('name').value,
    jwtAlgorithm: form.elements.namedItem('jwtAlgorithm').value,
    jwtFields: checkedValues(form, 'jwtFields'),
    sessionType: form.elements.namedItem('sessionType').value,
  };
  for (const name of INTEGER_FIELDS) values[name] = integerValue(form, name);
  return values;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The fields of the form that differ from `initial`, ready for CreateRealmInput / UpdateRealmInput. */
export function changedSettings(form, initial) {
  return Object.fromEntries(Object.entries(readSettings(form)).filter(([name, value]) => !same(value, initial[name] ?? null)));
}
