import { createServer } from 'node:http';

/**
 * The yardstick: a bare node:http server that answers the same JSON body as heo-power's 200 path,
 * with `Content-Type` and `Content-Length` only (heo-power's reply also carries `X-Request-Id` and
 * the four `RateLimit-*` headers, which are part of its cost), and does nothing else. Ratios in
 * the benchmark are against this server, measured in the same run on the same core.
 */
const PATH = /^\/v1\/hosting\/(cloud\/vps-custom|game\/power)\/([^/]+)\/([a-z]+)$/;
const MESSAGES: Readonly<Record<string, string>> = {
  start: 'Start action sent',
  stop: 'Stop action sent',
  reset: 'Reset action sent',
  restart: 'Restart action sent',
  kill: 'Kill action sent',
};

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end('{"status":"ok"}');
    return;
  }
  const match = req.method === 'POST' ? PATH.exec(req.url ?? '') : null;
  const action = match?.[3] ?? '';
  const message = MESSAGES[action];
  if (!match || message === undefined) {
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
    res.end('{"success":false,"error":"not_found","message":"Endpoint not found"}');
    return;
  }
  const idField = match[1] === 'game/power' ? 'server_id' : 'vps_id';
  const body = JSON.stringify({
    success: true,
    action,
    [idField]: decodeURIComponent(match[2] ?? ''),
    status: 'requested',
    message,
  });
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
