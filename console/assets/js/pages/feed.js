import { h, time } from '../dom.js';
import { liveSubscription } from '../live.js';
import { href, withQuery } from '../router.js';
import { describeClient } from '../user-agent.js';

// `after`: the cursor of the last event shown. A reconnect resumes there: the server replays what
// happened while the page was away, then goes on live, nothing lost and nothing twice.
const FEED = `subscription ($realmId: ID!, $after: String) {
  sessionEvents(realmId: $realmId, after: $after) { id cursor type reason at sessionId userId session { id ip userAgent app user { id username } } }
}`;
/** Rows kept on screen; the counts cover every event since the page opened. */
const MAX_ROWS = 200;

const STATUS_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
};

export function feedPage(ctx) {
  const { params } = ctx;
  const { realmId } = params;
  ctx.realmName(realmId).then((name) => ctx.setTitle('Live feed', name));
  const status = h('span', { class: 'live-status connecting', role: 'status', text: 'Connecting…' });
  const retry = h('button', { type: 'button', class: 'small', hidden: true, text: 'Retry now', onclick: () => subscription.retryNow() });
  const list = h('ol', { class: 'feed', 'aria-label': 'Session events, newest first' });
  const empty = h('p', { class: 'muted', text: 'Waiting for session events: logins, refreshes and terminations appear here as they happen.' });
  const countsByType = h('dl', { class: 'counts', 'aria-label': 'Events by type' });
  const countsByReason = h('dl', { class: 'counts', 'aria-label': 'Terminations by reason' });
  const counts = { type: new Map(), reason: new Map() };
  let pending = []; // events not yet drawn (at most MAX_ROWS: older ones would be trimmed anyway)
  let frame = null;
  let lostAt = null;
  let countdown = null;
  /** The last event's cursor; null until one arrived, or after the server refused it (too old). */
  let cursor = null;

  const bump = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
  const drawCounts = (element, map, none) => {
    const entries = [...map].sort((a, b) => b[1] - a[1]);
    element.replaceChildren(
      ...(entries.length ? entries.flatMap(([key, n]) => [h('dt', { text: key }), h('dd', { text: String(n) })]) : [h('dt', { class: 'muted', text: none })]),
    );
  };

  function row(event) {
    // A deleted user's session is gone from the database while its events stay in the record.
    if (!event.session) return deletedRow(event);
    const { session } = event;
    const user = session.user;
    return h(
      'li',
      { class: `event ${event.type.toLowerCase()}` },
      time(event.at, { withSeconds: true }),
      h('span', { class: 'type', text: event.type }),
      h('span', { class: 'reason', text: event.reason ?? '' }),
      h(
        'span',
        { class: 'who' },
        h('a', { href: href('realms', realmId, 'users', user.id), text: user.username }),
        ' ',
        h(
          'a',
          { class: 'session', href: withQuery(href('realms', realmId, 'sessions'), { user: user.id }), title: 'Sessions of this user' },
          h('code', { text: session.id }),
        ),
        ' ',
        h('span', { class: 'muted', text: [session.ip, describeClient(session.userAgent), session.app].filter(Boolean).join(' · ') }),
      ),
    );
  }

  function deletedRow(event) {
    return h(
      'li',
      { class: `event ${event.type.toLowerCase()}` },
      time(event.at, { withSeconds: true }),
      h('span', { class: 'type', text: event.type }),
      h('span', { class: 'reason', text: event.reason ?? '' }),
      h('span', { class: 'who muted' }, 'deleted user ', h('code', { text: event.userId }), ' ', h('code', { text: event.sessionId })),
    );
  }

  // Drawn once per frame: a burst of events costs one layout, not one per event.
  function draw() {
    frame = null;
    const batch = pending.slice(-MAX_ROWS);
    pending = [];
    empty.hidden = true;
    list.prepend(...batch.reverse().map(row));
    while (list.childElementCount > MAX_ROWS) list.lastElementChild.remove();
    drawCounts(countsByType, counts.type, 'No events yet');
    drawCounts(countsByReason, counts.reason, 'No terminations yet');
  }

  function gap(from, to) {
    list.prepend(
      h(
        'li',
        { class: 'gap' },
        'Disconnected from ',
        time(from, { withSeconds: true }),
        ' to ',
        time(to, { withSeconds: true }),
        ': events of that time are not shown.',
      ),
    );
  }

  function setStatus(next) {
    clearInterval(countdown);
    retry.hidden = next.state !== 'waiting';
    status.className = `live-status ${next.state}`;
    if (next.state === 'waiting') {
      lostAt ??= new Date().toISOString();
      const tick = () => (status.textContent = `Reconnecting in ${Math.max(0, Math.ceil((next.retryAt - Date.now()) / 1000))} s (${next.reason})`);
      tick();
      countdown = setInterval(tick, 1000);
    } else if (next.state === 'stopped' && next.code === 'BAD_USER_INPUT' && cursor) {
      // The cursor is older than the server keeps events for: start again from now, and say so.
      cursor = null;
      subscription = subscribe();
    } else if (next.state === 'stopped') {
      status.textContent = `Stopped: ${next.message} (${next.code}).`;
    } else {
      status.textContent = STATUS_TEXT[next.state];
      // Resumed from a cursor, the feed misses nothing; without one, the time away is a gap.
      if (next.state === 'live' && lostAt && !cursor) gap(lostAt, new Date().toISOString());
      if (next.state === 'live') lostAt = null;
    }
  }

  const subscribe = () =>
    liveSubscription({
      key: ctx.api.key,
      query: FEED,
      variables: () => ({ realmId, after: cursor }),
      onStatus: setStatus,
      onNext: ({ sessionEvents: event }) => onEvent(event),
    });
  function onEvent(event) {
    cursor = event.cursor;
    bump(counts.type, event.type);
    if (event.reason) bump(counts.reason, event.reason);
    pending.push(event);
    if (pending.length > MAX_ROWS) pending.splice(0, pending.length - MAX_ROWS);
    frame ??= requestAnimationFrame(draw);
  }
  let subscription = subscribe();
  drawCounts(countsByType, counts.type, 'No events yet');
  drawCounts(countsByReason, counts.reason, 'No terminations yet');

  return {
    node: h(
      'section',
      {},
      h('div', { class: 'page-head' }, h('h1', { tabindex: -1, text: 'Live feed' }), h('div', { class: 'status-line' }, status, retry)),
      h(
        'div',
        { class: 'columns feed-columns' },
        h('div', { class: 'card' }, h('h2', { text: 'Events' }), empty, list),
        h(
          'aside',
          { class: 'card' },
          h('h2', { text: 'Counts' }),
          h('h3', { text: 'By type' }),
          countsByType,
          h('h3', { text: 'Terminations by reason' }),
          countsByReason,
        ),
      ),
    ),
    dispose() {
      subscription.stop();
      clearInterval(countdown);
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
