// Tables: sortable by any column, read as stacked cards on a phone (each cell carries its column's
// label), and fed one page at a time from a Relay connection, so a list of any length costs the
// page no more than one page of rows.

import { h, notice } from './dom.js';
import { describeError } from './api.js';

/**
 * columns: [{ label, cell(row) → Node|string, sort?(row) → string|number (omit: not sortable) }]
 */
export function dataTable({ caption, columns, empty = 'Nothing here yet.' }) {
  let rows = [];
  let sorted = { column: null, direction: 1 };
  const body = h('tbody');
  const headers = columns.map((column) => {
    const th = h('th', { scope: 'col' });
    if (column.sort) {
      th.append(
        h('button', {
          type: 'button',
          class: 'sort',
          text: column.label,
          onclick: () => {
            sorted = { column, direction: sorted.column === column ? -sorted.direction : 1 };
            draw();
          },
        }),
      );
    } else th.textContent = column.label;
    return th;
  });
  const table = h('table', { class: 'data' }, caption ? h('caption', { text: caption }) : null, h('thead', {}, h('tr', {}, headers)), body);

  function draw() {
    headers.forEach((th, i) => {
      if (columns[i] === sorted.column) th.setAttribute('aria-sort', sorted.direction === 1 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
    const { column, direction } = sorted;
    const ordered = column ? [...rows].sort((a, b) => direction * compare(column.sort(a), column.sort(b))) : rows;
    if (ordered.length === 0) {
      body.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: columns.length, text: empty })));
      return;
    }
    body.replaceChildren(
      ...ordered.map((row) =>
        h(
          'tr',
          {},
          columns.map((c) => h('td', { dataset: { label: c.label } }, c.cell(row))),
        ),
      ),
    );
  }
  draw();
  return {
    element: h('div', { class: 'table-wrap' }, table),
    setRows(next) {
      rows = next;
      draw();
    },
  };
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined || a === '') return 1; // blanks last either way up
  if (b === null || b === undefined || b === '') return -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true });
}

const PAGE_SIZES = [20, 50, 100];

/**
 * A table over a Relay connection: `load({ first, after })` → { edges: [{ node }], pageInfo }.
 * Previous/Next walk the pages (the cursors seen so far are kept, the API pages forward only);
 * sorting orders the rows of the page shown.
 */
export function pagedTable({ caption, columns, empty, load, pageSize = PAGE_SIZES[0], label = 'rows' }) {
  const table = dataTable({ caption, columns, empty });
  const message = notice();
  const position = h('span', { class: 'muted', role: 'status' });
  let size = pageSize;
  let cursors = [null]; // cursors[i] = the `after` of page i
  let page = 0;
  let hasNext = false;
  const previous = h('button', { type: 'button', text: 'Previous', onclick: () => go(page - 1) });
  const next = h('button', { type: 'button', text: 'Next', onclick: () => go(page + 1) });
  const sizes = h(
    'select',
    {
      'aria-label': `${label} per page`,
      onchange: () => {
        size = Number(sizes.value);
        reload();
      },
    },
    PAGE_SIZES.map((n) => h('option', { value: n, selected: n === size, text: `${n} per page` })),
  );
  let generation = 0;

  async function go(target) {
    const mine = ++generation;
    previous.disabled = next.disabled = true;
    position.textContent = 'Loading…';
    try {
      const connection = await load({ first: size, after: cursors[target] });
      if (mine !== generation) return; // a newer request has been made meanwhile
      page = target;
      hasNext = connection.pageInfo.hasNextPage;
      cursors[page + 1] = connection.pageInfo.endCursor;
      table.setRows(connection.edges.map((edge) => edge.node));
      message.clear();
      const first = page * size + 1;
      position.textContent = connection.edges.length ? `${label} ${first}–${first + connection.edges.length - 1}` : '';
    } catch (error) {
      if (mine !== generation) return;
      message.show(describeError(error));
      position.textContent = '';
    }
    previous.disabled = page === 0;
    next.disabled = !hasNext;
  }

  function reload() {
    cursors = [null];
    return go(0);
  }

  return {
    element: h('div', { class: 'paged' }, message.element, table.element, h('div', { class: 'pager' }, previous, next, sizes, position)),
    reload,
    /** The same page again (after a change to one of its rows). */
    refresh: () => go(page),
  };
}
