import type { LightMyRequestResponse } from 'fastify';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/store/store.js';
import { bearer } from '../helpers/expect-http.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const VPS = '/v1/hosting/cloud/vps-custom';
const GAME = '/v1/hosting/game/power';
const LIMIT = 6;

/**
 * A plain power request (POST, no query, no body) is served in front of Fastify; the same request
 * with a query parameter the API ignores, or with an empty JSON object as its body, goes through
 * Fastify's route. Both must answer alike, to the byte, and record the same audit row.
 */
type Form = 'direct' | 'query' | 'body';
const FORMS: readonly Form[] = ['direct', 'query', 'body'];
/** Each form's machines and customer carry its tag; tags are of one length, like the answers. */
const TAG: Readonly<Record<Form, string>> = { direct: 'fd', query: 'fq', body: 'fb' };

interface Step {
  readonly name: string;
  readonly path: string;
  readonly key: 'power' | 'read' | 'none' | 'invalid';
}

/**
 * One key's sequence, on machines of the form's own customer (`vps_<tag>`...): it ends over the
 * limit, so it covers 429 as well.
 */
const STEPS: readonly Step[] = [
  { name: '200 vps', path: `${VPS}/vps_FORM/start`, key: 'power' },
  { name: '200 game', path: `${GAME}/srv_FORM/restart`, key: 'power' },
  { name: '400 confirmation', path: `${GAME}/srv_FORM/kill`, key: 'power' },
  { name: '403 vps', path: `${VPS}/vps_456/start`, key: 'power' },
  { name: '403 game', path: `${GAME}/srv_unknown/stop`, key: 'power' },
  { name: '502 provider', path: `${VPS}/broken_FORM/stop`, key: 'power' },
  { name: '429', path: `${VPS}/vps_FORM/stop`, key: 'power' },
  { name: '403 read scope', path: `${VPS}/vps_FORM/stop`, key: 'read' },
  { name: '401 missing', path: `${VPS}/vps_FORM/start`, key: 'none' },
  { name: '401 invalid', path: `${GAME}/srv_FORM/start`, key: 'invalid' },
];

/** What may differ between two answers to the same request: the id, the clock. */
const comparable = (res: LightMyRequestResponse, form: Form) => {
  const headers: Record<string, unknown> = { ...res.headers };
  delete headers['x-request-id'];
  delete headers.date;
  if (typeof headers.location === 'string') {
    // Each accepted action has a handle of its own; its place is the same.
    expect(headers.location).toMatch(/\/actions\/act_[A-Za-z0-9]{20}$/);
    headers.location = headers.location
      .replace(/act_[A-Za-z0-9]{20}$/, 'act_ID')
      .replaceAll(TAG[form], 'FORM');
  }
  for (const name of ['ratelimit-reset', 'retry-after']) {
    if (headers[name] !== undefined) {
      expect(Number(headers[name])).toBeGreaterThanOrEqual(1);
      expect(Number(headers[name])).toBeLessThanOrEqual(60);
      headers[name] = 'seconds';
    }
  }
  return { status: res.statusCode, headers, body: res.body.replaceAll(TAG[form], 'FORM') };
};

const rowOf = (row: AuditRecord, form: Form) => ({
  status: row.status,
  error: row.error,
  customerId: row.customerId.replace(TAG[form], 'FORM'),
  resourceType: row.resourceType,
  resourceId: row.resourceId.replace(TAG[form], 'FORM'),
  action: row.action,
  clientIp: row.clientIp,
  provider: row.provider,
  upstreamStatus: row.upstreamStatus,
  upstreamDetail: row.upstreamDetail?.replace(TAG[form], 'FORM') ?? null,
  taskRef: row.taskRef === null ? null : 'set',
});

describe('the direct power path', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startWithCustomers({ config: { rateLimitPerMinute: LIMIT } });
    for (const form of FORMS) {
      const tag = TAG[form];
      await service.addVps(`vps_${tag}`, `cus_${tag}`);
      await service.addGame(`srv_${tag}`, `cus_${tag}`);
      await service.addVps(`broken_${tag}`, `cus_${tag}`, 'sim', `fail-${tag}`);
    }
  });
  afterAll(() => service.close());

  /** Runs the whole sequence in one form, with keys of its own; answers and audit rows. */
  const run = async (form: Form) => {
    const keys = {
      power: await service.createKey(`cus_${TAG[form]}`),
      read: await service.createKey(`cus_${TAG[form]}`, { scope: 'read' }),
    };
    const answers = [];
    for (const step of STEPS) {
      const authorization =
        step.key === 'none'
          ? {}
          : step.key === 'invalid'
            ? bearer('heo_notakey')
            : bearer(keys[step.key].key);
      const res = await service.inject({
        method: 'POST',
        url: `${step.path.replace('FORM', TAG[form])}${form === 'query' ? '?client=tests' : ''}`,
        headers: {
          ...authorization,
          ...(form === 'body' ? { 'content-type': 'application/json' } : {}),
        },
        ...(form === 'body' ? { payload: '{}' } : {}),
      });
      answers.push({ step: step.name, ...comparable(res, form) });
    }
    const ids = new Set([keys.power.id, keys.read.id]);
    const rows = (await service.store.audit.list({ limit: 1_000 }))
      .filter((row) => ids.has(row.keyId))
      .reverse()
      .map((row) => rowOf(row, form));
    return { answers, rows };
  };

  it('answers and records every outcome exactly as the framework route does', async () => {
    const [direct, ...others] = await Promise.all(FORMS.map(run));
    if (direct === undefined) throw new Error('no run');
    expect(direct.answers.map((a) => `${a.step} ${a.status}`)).toEqual([
      '200 vps 200',
      '200 game 200',
      '400 confirmation 400',
      '403 vps 403',
      '403 game 403',
      '502 provider 502',
      '429 429',
      '403 read scope 403',
      '401 missing 401',
      '401 invalid 401',
    ]);
    expect(direct.rows.map((row) => row.status)).toEqual([200, 200, 400, 403, 403, 502, 429, 403]);
    for (const other of others) {
      expect(other.answers).toEqual(direct.answers);
      expect(other.rows).toEqual(direct.rows);
    }
  });

  it('leaves odd requests to the framework, which answers them as before', async () => {
    const { key } = await service.createKey('cus_a');
    const cases = [
      // A body the parsers refuse, on a path the direct path would take without it.
      { url: `${VPS}/vps_123/start`, type: 'text/plain', payload: 'x', status: 415 },
      // Confirmation only exists in the query or the body.
      { url: `${GAME}/srv_123/kill?force=true`, status: 200 },
      // An id the direct path will not read: percent-encoded, too long.
      { url: `${VPS}/vps%5F123/start`, status: 200 },
      { url: `${VPS}/${'v'.repeat(200)}/start`, status: 403 },
      // Not a power route.
      { url: `${VPS}/vps_123/restart`, status: 404 },
      { url: `${VPS}/vps_123/start/`, status: 404 },
    ];
    for (const c of cases) {
      const res = await service.inject({
        method: 'POST',
        url: c.url,
        headers: {
          ...bearer(key),
          ...(c.type === undefined ? {} : { 'content-type': c.type }),
        },
        ...(c.payload === undefined ? {} : { payload: c.payload }),
      });
      expect({ url: c.url, status: res.statusCode }).toEqual({ url: c.url, status: c.status });
    }
  });

  it('answers on a real socket, keeping the connection alive as Fastify would', async () => {
    const { key } = await service.createKey('cus_a');
    const client = new Client(await service.fastify.listen({ host: '127.0.0.1', port: 0 }));
    try {
      for (const id of ['vps_123', 'vps_456']) {
        const res = await client.request({
          method: 'POST',
          path: `${VPS}/${id}/start`,
          headers: bearer(key),
        });
        const body = await res.body.text();
        expect({ status: res.statusCode, body }).toEqual(
          id === 'vps_123'
            ? {
                status: 200,
                body: '{"success":true,"action":"start","vps_id":"vps_123","status":"requested","message":"Start action sent"}',
              }
            : {
                status: 403,
                body: '{"success":false,"error":"unauthorized","message":"You do not have access to this VPS"}',
              },
        );
        expect(res.headers['keep-alive']).toBe('timeout=72');
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      }
    } finally {
      await client.close();
    }
  });
});

/**
 * What every answer gets, whichever transport writes it: a request id (the one its completion
 * line carries), the rate-limit headers once a key is known, `Connection: close` while draining,
 * one count in the request metrics and one completion line. Requests answered outside the power
 * routes (an unknown path, a method the path does not take) get the same.
 */
describe('the conventions every transport keeps', () => {
  const ROUTE_START = `${VPS}/:id/start`;
  type Probe = { readonly name: string; readonly url: string; readonly method?: string };

  const probesOf = (form: Form): Probe[] => {
    const query = form === 'query' ? '?client=tests' : '';
    return [
      { name: '200', url: `${VPS}/vps_123/start${query}` },
      { name: '403', url: `${VPS}/vps_456/start${query}` },
      { name: '401', url: `${VPS}/vps_123/start${query}` },
    ];
  };

  const start = async () => {
    const logs = captureLogs('debug');
    const service = await startWithCustomers({
      config: { rateLimitPerMinute: 1_000, metricsPort: 0 },
      logger: logs.logger,
    });
    return { service, logs };
  };

  /** `heo_http_requests_total` for one route, method and status. */
  const counted = async (service: TestService, route: string, method: string, status: number) => {
    const { text } = (await service.container.metrics?.exposition()) ?? { text: '' };
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('heo_http_requests_total{') &&
          l.includes(`route="${route}"`) &&
          l.includes(`method="${method}"`) &&
          l.includes(`status="${status}"`),
      );
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };

  const send = (service: TestService, form: Form, probe: Probe, key: string | null) =>
    service.inject({
      method: probe.method ?? 'POST',
      url: probe.url,
      headers: {
        ...(key === null ? {} : bearer(key)),
        ...(form === 'body' ? { 'content-type': 'application/json' } : {}),
      },
      ...(form === 'body' ? { payload: '{}' } : {}),
    });

  it('gives each form of a power request its id, limit headers, count and completion line', async () => {
    const { service, logs } = await start();
    try {
      const { key } = await service.createKey('cus_a');
      for (const form of FORMS) {
        for (const probe of probesOf(form)) {
          const status = Number(probe.name);
          const before = await counted(service, ROUTE_START, 'POST', status);
          const res = await send(service, form, probe, probe.name === '401' ? null : key);
          const where = `${form} ${probe.name}`;
          expect({ where, status: res.statusCode }).toEqual({ where, status });
          const id = res.headers['x-request-id'];
          expect({ where, id: /^[0-9a-f-]{36}$/.test(String(id)) }).toEqual({ where, id: true });
          expect({ where, limit: res.headers['ratelimit-limit'] }).toEqual({
            where,
            limit: probe.name === '401' ? undefined : '1000',
          });
          expect({ where, connection: res.headers.connection }).not.toEqual({
            where,
            connection: 'close',
          });
          expect({ where, count: await counted(service, ROUTE_START, 'POST', status) }).toEqual({
            where,
            count: before + 1,
          });
          // A failed authentication's line is written at debug (a summary per address speaks for it).
          const lines = logs
            .lines()
            .filter((line) => line.msg === 'request completed' && line.reqId === id);
          expect({ where, lines: lines.map((l) => [l.level, l.res]) }).toEqual({
            where,
            lines: [[probe.name === '401' ? 'debug' : 'info', { statusCode: status }]],
          });
        }
      }
    } finally {
      await service.close();
    }
  });

  it('gives answers outside the power routes the same', async () => {
    const { service, logs } = await start();
    try {
      const cases = [
        { url: '/nope', method: 'POST', status: 404, route: 'unmatched' },
        { url: `${VPS}/vps_123/start`, method: 'GET', status: 405, route: ROUTE_START },
      ];
      for (const c of cases) {
        const before = await counted(service, c.route, c.method, c.status);
        const res = await service.inject({ method: c.method, url: c.url });
        expect({ url: c.url, status: res.statusCode }).toEqual({ url: c.url, status: c.status });
        const id = res.headers['x-request-id'];
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect(await counted(service, c.route, c.method, c.status)).toBe(before + 1);
        const lines = logs
          .lines()
          .filter((line) => line.msg === 'request completed' && line.reqId === id);
        expect(lines.map((l) => l.res)).toEqual([{ statusCode: c.status }]);
      }
    } finally {
      await service.close();
    }
  });

  it('closes the connection of every answer once the server drains', async () => {
    const { service } = await start();
    try {
      const { key } = await service.createKey('cus_a');
      service.app.drain();
      for (const form of FORMS) {
        for (const probe of probesOf(form)) {
          const res = await send(service, form, probe, probe.name === '401' ? null : key);
          expect({ where: `${form} ${probe.name}`, connection: res.headers.connection }).toEqual({
            where: `${form} ${probe.name}`,
            connection: 'close',
          });
        }
      }
      for (const url of ['/nope', '/healthz']) {
        const res = await service.inject({ method: 'GET', url });
        expect({ url, connection: res.headers.connection }).toEqual({ url, connection: 'close' });
      }
    } finally {
      await service.close();
    }
  });
});
