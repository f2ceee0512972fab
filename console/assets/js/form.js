// Form fields with a place for the server's word on them: a BAD_USER_INPUT error names its input
// field (extensions.field), and the message is shown under that field. The server is the one
// judge of what is valid (forms are `novalidate`), so the console never disagrees with it.

import { h } from './dom.js';
import { describeError } from './api.js';

let counter = 0;
const nextId = (name) => `f-${name}-${++counter}`;

function wrap(name, id, label, control, hint) {
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  return h(
    'div',
    { class: 'field', dataset: { field: name } },
    label,
    control,
    hint ? h('p', { class: 'hint', id: hintId, text: hint }) : null,
    h('p', { class: 'field-error', id: errorId, hidden: true }),
  );
}

export function textField({ name, label, value = '', type = 'text', hint, autocomplete = 'off', inputmode, required = false, disabled = false }) {
  const id = nextId(name);
  const input = h('input', { id, name, type, value: value ?? '', autocomplete, inputmode, required, disabled, spellcheck: 'false' });
  return wrap(name, id, h('label', { for: id, text: label }), input, hint);
}

export function selectField({ name, label, value, options, hint, disabled = false }) {
  const id = nextId(name);
  const select = h(
    'select',
    { id, name, disabled },
    options.map(([optionValue, text]) => h('option', { value: optionValue, selected: optionValue === value, text })),
  );
  return wrap(name, id, h('label', { for: id, text: label }), select, hint);
}

/** A group of checkboxes sharing one name (a list value such as jwtFields). */
export function checkboxGroup({ name, legend, values = [], options, hint, disabled = false }) {
  const id = nextId(name);
  const hintId = hint ? `${id}-hint` : null;
  const boxes = options.map(([value, text]) =>
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name, value, checked: values.includes(value), disabled }), ' ', text),
  );
  return h(
    'fieldset',
    { class: 'field', dataset: { field: name }, 'aria-describedby': [hintId, `${id}-error`].filter(Boolean).join(' ') },
    h('legend', { text: legend }),
    h('div', { class: 'checks' }, boxes),
    hint ? h('p', { class: 'hint', id: hintId, text: hint }) : null,
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }),
  );
}

export function checkedValues(form, name) {
  return [...form.querySelectorAll(`input[type=checkbox][name="${name}"]`)].filter((box) => box.checked).map((box) => box.value);
}

export function clearFieldErrors(form) {
  for (const wrapper of form.querySelectorAll('[data-field].invalid')) {
    wrapper.classList.remove('invalid');
    wrapper.querySelector('.field-error').hidden = true;
    for (const control of wrapper.querySelectorAll('input, select, textarea')) control.removeAttribute('aria-invalid');
  }
}

/**
 * Show an error where it belongs: at its field when the form has one of that name (and move the
 * focus there), else in the form's notice.
 */
export function showError(form, error, formNotice) {
  const wrapper = error?.field ? [...form.querySelectorAll('[data-field]')].find((element) => element.dataset.field === error.field) : null;
  if (!wrapper) {
    formNotice.show(describeError(error));
    return;
  }
  formNotice.clear();
  wrapper.classList.add('invalid');
  const message = wrapper.querySelector('.field-error');
  message.textContent = error.message;
  message.hidden = false;
  const controls = wrapper.querySelectorAll('input, select, textarea');
  for (const control of controls) control.setAttribute('aria-invalid', 'true');
  controls[0]?.focus();
}

/** An integer input's value: '' → null, digits → a number, anything else as typed (the server names it). */
export function integerValue(form, name) {
  const raw = form.elements.namedItem(name).value.trim();
  if (raw === '') return null;
  return /^-?\d+$/.test(raw) ? Number(raw) : raw;
}
