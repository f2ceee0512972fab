import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { checkTargetUrl, resolveTarget, type LookupAll, type TargetRules } from './target-address.js';

export type PostResult = { status: number; durationMs: number };

/** More of a response than any receiver needs to send; the rest is not read (it is discarded anyway). */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs body to url. The target is checked and resolved again at every call (the name may point
 * elsewhere since the endpoint was created: DNS rebinding) and the socket connects to exactly the
 * address that was checked (the `lookup` option answers with it; the Host header and the TLS
 * servername stay the URL's host, so certificates are verified against the name). Connections are
 * kept alive and reused, but only by requests to the same origin whose check found the same
 * address (agentFor); a connection the receiver closed as it was reused is retried once. Redirects are
 * never followed (a 3xx is a non-2xx status like any other). timeoutMs bounds the whole exchange,
 * resolution included. At most MAX_RESPONSE_BYTES of the response are read, then the connection is
 * dropped. Throws TargetRefused, or an Error whose message is safe to show an admin (an error code
 * or 'timeout after N ms', never a stack).
 */
export async function safePost(
  url: string,
  init: { headers: Record<string, string>; body: string; timeoutMs?: number; rules: TargetRules; lookup?: LookupAll },
): Promise<PostResult> {
  const started = performance.now();
  const timeoutMs = init.timeoutMs ?? 10_000;
  const target = checkTargetUrl(url, init.rules);
  let timer: NodeJS.Timeout | undefined;
  let onTimeout = () => {};
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`timeout after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    const { address, family } = await Promise.race([resolveTarget(target, init.rules, init.lookup), deadline]);
    const agent = agentFor(target, address);
    let status: number;
    try {
      status = await Promise.race([send(target, address, family, agent, init, (abort) => (onTimeout = abort)), deadline]);
    } catch (error) {
      // A kept-alive connection the receiver closed just as it was reused: once more, on a new one.
      if (!(error instanceof StaleConnection)) throw error;
      status = await Promise.race([send(target, address, family, agent, init, (abort) => (onTimeout = abort)), deadline]);
    }
    return { status, durationMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** Kept-alive connections per receiver: at most this many agents, the least recently used closed first. */
const MAX_AGENTS = 256;
/** An idle kept-alive connection is closed after this long (below the 5 s that Node servers keep one). */
const IDLE_SOCKET_MS = 4_000;
const agents = new Map<string, HttpAgent>();

/**
 * The keep-alive agent for this origin AND this checked address: a pooled connection (and its TLS
 * session) is reused only for a request whose host resolved, this time too, to the address it is
 * connected to. When the name moves, the next request gets another agent and a new connection to
 * the new (checked) address; the old connections are never used for it.
 */
function agentFor(target: URL, address: string): HttpAgent {
  const key = `${target.protocol}//${target.host}|${address}`;
  let agent = agents.get(key);
  if (agent)
    agents.delete(key); // re-inserted last: the Map's order is the recency order
  else {
    const options = { keepAlive: true, timeout: IDLE_SOCKET_MS, maxSockets: 64, maxFreeSockets: 64, scheduling: 'lifo' as const };
    agent = target.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
    for (const [oldest, old] of agents) {
      if (agents.size < MAX_AGENTS) break;
      old.destroy();
      agents.delete(oldest);
    }
  }
  agents.set(key, agent);
  return agent;
}

class StaleConnection extends Error {}

function send(
  target: URL,
  address: string,
  family: 4 | 6,
  agent: HttpAgent,
  init: { headers: Record<string, string>; body: string },
  onAbort: (abort: () => void) => void,
): Promise<number> {
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
        // Pinned: whatever the name resolves to now, a new socket goes to the checked address. Node
        // asks with all: true when it may try several families (autoSelectFamily).
        lookup: (_host: string, options: LookupOptions, done: (...args: never[]) => void) => {
          const answer = done as unknown as (error: null, address: string | LookupAddress[], family?: number) => void;
          if (options.all) answer(null, [{ address, family }]);
          else answer(null, address, family);
        },
        agent,
      },
      (res: IncomingMessage) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read >= MAX_RESPONSE_BYTES) {
            resolve(res.statusCode ?? 0);
            res.destroy();
          }
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
        // The status is known: a body cut short (by us or by the receiver) does not change it.
        res.on('error', () => resolve(res.statusCode ?? 0));
        res.on('close', () => resolve(res.statusCode ?? 0));
      },
    );
    onAbort(() => req.destroy());
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) reject(new StaleConnection(error.code));
      else reject(new Error(error.code ?? error.message));
    });
    req.end(init.body);
  });
}
