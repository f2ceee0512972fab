// The benchmark's webhook receiver (bench/run.ts, phase `webhooks`): an HTTPS server on loopback in
// a process of its own, with the certificate of BENCH_WEBHOOK_TLS_DIR. It answers 204 at once and
// counts what it got; the parent asks for the counts over IPC. It does not verify signatures (the
// tests do, with the standardwebhooks package): the figure is Tessera's cost, not a receiver's.
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

const dir = process.env.BENCH_WEBHOOK_TLS_DIR!;
const ids = new Set<string>();
let requests = 0;
let firstAt = 0;
let lastAt = 0;

const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), keepAliveTimeout: 30_000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    requests++;
    lastAt = performance.now();
    if (requests === 1) firstAt = lastAt;
    ids.add(String(req.headers['webhook-id']));
    res.writeHead(204).end();
  });
});

server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));

process.on('message', (message: { id: number; command: 'stats' | 'reset' }) => {
  if (message.command === 'reset') {
    ids.clear();
    requests = 0;
  }
  process.send!({ id: message.id, requests, distinct: ids.size, spanMs: lastAt - firstAt });
});
process.on('disconnect', () => process.exit(0));
