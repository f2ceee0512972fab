import type { Connection } from './ws-connection.js';

/** Sockets pinged per turn of the event loop by the keep-alive sweep. */
const KEEP_ALIVE_SLICE = 1000;

/**
 * One sweep for every socket, every `intervalSeconds`: a socket that has not answered the previous
 * sweep's ping is dead (a peer that vanished without a FIN would otherwise hold its subscriptions
 * for hours). The pong handler sets `alive` again. Returns the function that stops the sweeps.
 */
export function startKeepAlive(connections: ReadonlySet<Connection>, intervalSeconds: number): () => void {
  const timer = setInterval(() => sweep([...connections], 0), intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * A sweep goes in slices, a turn of the event loop each: 10,000 pings at once would stall
 * everything else for a tenth of a second.
 */
function sweep(sockets: Connection[], from: number): void {
  for (const connection of sockets.slice(from, from + KEEP_ALIVE_SLICE)) {
    if (connection.socket.readyState !== connection.socket.OPEN) continue;
    if (!connection.alive) {
      connection.socket.terminate();
      continue;
    }
    connection.alive = false;
    connection.socket.ping();
  }
  if (from + KEEP_ALIVE_SLICE < sockets.length) setImmediate(sweep, sockets, from + KEEP_ALIVE_SLICE);
}
