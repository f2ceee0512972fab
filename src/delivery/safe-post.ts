import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { checkTargetUrl, resolveTarget, type LookupAll, type TargetRules } from './target-address.js';

export type PostResult = { status: number; durationMs: number };

/** More of a response than any receiver needs to send; the rest is not read (it is discarded anyway). */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs body to url. The target is checked and resolved again at every call (the name may point
 * elsewhere since the endpoint was created: DNS rebinding) and the socket connects to exactly the
 * address that was checked (the `lookup` option answers with it; the Host header and the TLS
 * servername stay the URL's host, so certificates are verified against the name). Redirects are
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
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
  });
  const controller = new AbortController();
  try {
    const { address, family } = await Promise.race([resolveTarget(target, init.rules, init.lookup), deadline]);
    const status = await Promise.race([send(target, address, family, init, controller.signal), deadline]);
    return { status, durationMs: performance.now() - started };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

function send(target: URL, address: string, family: 4 | 6, init: { headers: Record<string, string>; body: string }, signal: AbortSignal): Promise<number> {
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
        // Pinned: whatever the name resolves to now, the socket goes to the checked address. Node asks
        // with all: true when it may try several families (autoSelectFamily).
        lookup: (_host: string, options: LookupOptions, done: (...args: never[]) => void) => {
          const answer = done as unknown as (error: null, address: string | LookupAddress[], family?: number) => void;
          if (options.all) answer(null, [{ address, family }]);
          else answer(null, address, family);
        },
        agent: false,
        signal,
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
    req.on('error', (error: NodeJS.ErrnoException) => reject(new Error(error.code ?? error.message)));
    req.end(init.body);
  });
}
