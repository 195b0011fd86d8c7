import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/expect-http.js';
import { captureLogs } from '../helpers/log-capture.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const VPS = '/v1/hosting/cloud/vps-custom';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Case {
  readonly name: string;
  readonly status: number;
  readonly method?: 'GET' | 'POST' | 'PUT';
  readonly url: string;
  readonly key?: 'power' | 'read';
  readonly body?: { readonly type: string; readonly payload: string };
  /** Whether the request is recorded in the audit log. */
  readonly audited: boolean;
}

const CASES: readonly Case[] = [
  { name: '200', status: 200, url: `${VPS}/vps_123/start`, key: 'power', audited: true },
  { name: 'health', status: 200, method: 'GET', url: '/healthz', audited: false },
  { name: 'docs page', status: 200, method: 'GET', url: '/docs', audited: false },
  { name: '400', status: 400, url: `${VPS}/vps_123/reset`, key: 'power', audited: true },
  { name: '401', status: 401, url: `${VPS}/vps_123/start`, audited: false },
  { name: '403', status: 403, url: `${VPS}/vps_456/start`, key: 'power', audited: true },
  { name: '404', status: 404, url: `${VPS}/vps_123/restart`, audited: false },
  { name: '405', status: 405, method: 'PUT', url: `${VPS}/vps_123/start`, audited: false },
  {
    name: '413',
    status: 413,
    url: `${VPS}/vps_123/start`,
    key: 'power',
    body: { type: 'application/json', payload: JSON.stringify({ pad: 'x'.repeat(20_000) }) },
    audited: true,
  },
  {
    name: '415',
    status: 415,
    url: `${VPS}/vps_123/start`,
    key: 'power',
    body: { type: 'text/plain', payload: 'force=true' },
    audited: true,
  },
  { name: '502', status: 502, url: `${VPS}/vps_broken/start`, key: 'power', audited: true },
];

describe('X-Request-Id', () => {
  const logs = captureLogs('debug');
  let service: TestService;
  let port: number;
  let keys: { power: string; read: string };

  beforeAll(async () => {
    service = await startWithCustomers({
      logger: logs.logger,
      config: { logLevel: 'debug', rateLimitPerMinute: 100 },
    });
    await service.addVps('vps_broken', 'cus_a', 'sim', 'fail-vps');
    keys = {
      power: (await service.createKey('cus_a')).key,
      read: (await service.createKey('cus_a', { scope: 'read' })).key,
    };
    port = Number(new URL(await service.fastify.listen({ host: '127.0.0.1', port: 0 })).port);
  });
  afterAll(() => service.close());

  const send = (c: Case, requestId?: string) =>
    service.inject({
      method: c.method ?? 'POST',
      url: c.url,
      headers: {
        ...(c.key === undefined ? {} : bearer(keys[c.key])),
        ...(c.body === undefined ? {} : { 'content-type': c.body.type }),
        ...(requestId === undefined ? {} : { 'x-request-id': requestId }),
      },
      ...(c.body === undefined ? {} : { payload: c.body.payload }),
    });

  const completedLine = (reqId: string) =>
    logs.lines().filter((line) => line.msg === 'request completed' && line.reqId === reqId);

  it.each(CASES)(
    'is echoed on a $name answer, and names its log line and audit record',
    async (c) => {
      const requestId = `trace-${c.name.replace(/\W/g, '')}-0001`;
      const res = await send(c, requestId);
      expect(res.statusCode).toBe(c.status);
      expect(res.headers['x-request-id']).toBe(requestId);
      expect(completedLine(requestId)).toHaveLength(1);
      const audited = (await service.store.audit.list({ limit: 1_000 })).filter(
        (row) => row.requestId === requestId,
      );
      expect(audited.map((row) => row.status)).toEqual(c.audited ? [c.status] : []);
    },
  );

  it.each(CASES)('is generated for a $name answer when the client sends none', async (c) => {
    const res = await send(c);
    expect(res.statusCode).toBe(c.status);
    const generated = String(res.headers['x-request-id']);
    expect(generated).toMatch(UUID);
    expect(completedLine(generated)).toHaveLength(1);
  });

  it('is echoed on a 429 answer', async () => {
    const limited = await startWithCustomers({ config: { rateLimitPerMinute: 1 } });
    try {
      const { key } = await limited.createKey('cus_a');
      const url = `${VPS}/vps_123/start`;
      await limited.inject({ method: 'POST', url, headers: bearer(key) });
      const res = await limited.inject({
        method: 'POST',
        url,
        headers: { ...bearer(key), 'x-request-id': 'trace-429' },
      });
      expect([res.statusCode, res.headers['x-request-id']]).toEqual([429, 'trace-429']);
      const [row] = await limited.store.audit.list({ limit: 1 });
      expect(row).toMatchObject({ requestId: 'trace-429', status: 429 });
    } finally {
      await limited.close();
    }
  });

  it('is echoed on a 500 answer', async () => {
    const broken = await startWithCustomers();
    try {
      const { key } = await broken.createKey('cus_a');
      await broken.breakAuditTable();
      const res = await broken.inject({
        method: 'POST',
        url: `${VPS}/vps_123/start`,
        headers: { ...bearer(key), 'x-request-id': 'trace-500' },
      });
      expect([res.statusCode, res.headers['x-request-id']]).toEqual([500, 'trace-500']);
    } finally {
      await broken.close();
    }
  });

  it('is echoed on a 400 for a malformed URL, which never reaches a route', async () => {
    const res = await rawRequest(
      port,
      `POST ${VPS}/%E0%A4%A/start HTTP/1.1\r\nHost: x\r\nX-Request-Id: trace-bad-url\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    expect([res.status, res.headers['x-request-id']]).toEqual([400, 'trace-bad-url']);
    expect(completedLine('trace-bad-url')).toHaveLength(1);
  });

  it('is generated, and logged, for requests too broken to be read (431)', async () => {
    const res = await rawRequest(
      port,
      `POST ${VPS}/vps_123/start HTTP/1.1\r\nHost: x\r\nX-Request-Id: trace-431\r\nX-Pad: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(res.status).toBe(431);
    const generated = res.headers['x-request-id'] ?? '';
    expect(generated).toMatch(UUID);
    expect(
      logs.lines().filter((line) => line.msg === 'client error' && line.reqId === generated),
    ).toHaveLength(1);
  });
});
