// Modal dialogs on the native <dialog>: it keeps the focus inside, closes on Escape, and lies over
// an inert page. Enter submits the dialog's form. The action runs inside the dialog, so a failure
// is shown there (at its field when the server names one) and the admin can retry or cancel.

import { h, notice, copyable } from './dom.js';
import { clearFieldErrors, showError } from './form.js';

let counter = 0;

/**
 * Resolves to what `onSubmit(form)` returned, or null when cancelled. A throw from onSubmit keeps
 * the dialog open with the error shown.
 */
export function formDialog({ title, content = [], submitLabel, danger = false, cancelLabel = 'Cancel', onSubmit }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = `dialog-title-${++counter}`;
    const error = notice();
    const submit = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', text: submitLabel });
    const cancel = cancelLabel ? h('button', { type: 'button', text: cancelLabel, onclick: () => dialog.close() }) : null;
    const form = h('form', { novalidate: true }, h('h2', { id: titleId, text: title }), content, error.element, h('div', { class: 'actions' }, cancel, submit));
    const dialog = h('dialog', { 'aria-labelledby': titleId }, form);
    let busy = false;
    let result = null;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      submit.disabled = true;
      clearFieldErrors(form);
      error.clear();
      try {
        result = (await onSubmit?.(form)) ?? true;
        dialog.close();
      } catch (failure) {
        showError(form, failure, error);
      } finally {
        busy = false;
        submit.disabled = false;
      }
    });
    // Escape while the action runs would hide its outcome.
    dialog.addEventListener('cancel', (event) => busy && event.preventDefault());
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    (form.querySelector('input:not([type=hidden]):not([disabled]), select, textarea') ?? submit).focus();
  });
}

/** "Are you sure?" for a destructive action; the action runs on confirmation. */
export function confirmAction({ title, message, confirmLabel, action }) {
  const paragraphs = (Array.isArray(message) ? message : [message]).map((text) => h('p', { text }));
  return formDialog({ title, content: paragraphs, submitLabel: confirmLabel, danger: true, onSubmit: action });
}

/** A secret shown once (a new API key): copy it now, it cannot be shown again. */
export function showSecret({ title, secret, label, note }) {
  return formDialog({
    title,
    content: [h('p', { class: 'warning', text: note }), h('p', {}, copyable(secret, label))],
    submitLabel: 'Done',
    cancelLabel: null,
  });
}
