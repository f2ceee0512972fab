// Placeholder with the interface of the ssrf branch's module (which replaces this file on merge).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { checkTargetUrl, resolveTarget, type TargetRules } from './target-address.js';

export type PostResult = { status: number; durationMs: number };

export async function safePost(
  url: string,
  init: { headers: Record<string, string>; body: string; timeoutMs?: number; rules: TargetRules },
): Promise<PostResult> {
  const started = performance.now();
  const target = checkTargetUrl(url, init.rules);
  const { address, family } = await resolveTarget(target, init.rules);
  const timeoutMs = init.timeoutMs ?? 10_000;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostResult>((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
        lookup: (_host, _options, done) => done(null, address, family),
        agent: false,
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, durationMs: performance.now() - started });
        });
        res.on('error', (error) => reject(new Error(error.message)));
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(error.code ?? error.message));
    });
    req.end(init.body);
  });
}
