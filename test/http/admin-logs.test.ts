import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretKey } from '../../src/secrets/secret-key.js';
import { auditEntry } from '../helpers/audit-entries.js';
import { BACKENDS } from '../helpers/backends.js';
import { bearer, expectError } from '../helpers/expect-http.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const T0 = Date.UTC(2026, 10, 23, 14, 40);
const iso = (ms: number) => new Date(ms).toISOString();

const ENTRIES = [
  auditEntry(1, { at: T0, status: 403, error: 'forbidden', provider: null, taskRef: null }),
  auditEntry(2, {
    at: T0 + 1_000,
    upstreamDetail: '=HYPERLINK("http://x","y"), then -1',
    taskRef: '@task,1',
  }),
  auditEntry(3, { at: T0 + 2_000, keyId: 'key_b', resourceType: 'game', resourceId: 'srv_1' }),
  auditEntry(4, { at: T0 + 3_000, customerId: 'cus_b', action: 'stop' }),
];

const RECORD_2 = {
  at: iso(T0 + 1_000),
  request_id: 'req-2',
  key_id: 'key_a',
  customer_id: 'cus_a',
  resource_type: 'vps',
  resource_id: 'vps_1',
  action: 'start',
  status: 200,
  error: null,
  client_ip: '127.0.0.1',
  provider: 'sim',
  upstream_status: 200,
  upstream_detail: '=HYPERLINK("http://x","y"), then -1',
  task_ref: '@task,1',
};

describe.each(BACKENDS)('the admin API reads the logs on $name', (backend) => {
  let service: TestService;
  let admin: { id: string; token: string };

  beforeAll(async () => {
    // A shared database seals provider credentials with HEO_SECRET_KEY.
    service = await startWithCustomers({
      backend,
      config: { secretKey: SecretKey.fromBytes(randomBytes(32)) },
    });
    admin = await service.createAdminToken('dashboard');
    await service.store.audit.append(ENTRIES);
  });
  afterAll(() => service.close());

  const get = (url: string) =>
    service.adminInject({ method: 'GET', url, headers: bearer(admin.token) });
  const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, unknown>;

  describe('GET /admin/v1/audit', () => {
    it('answers a page of records, newest first, as audit --json prints them', async () => {
      const res = await get('/admin/v1/audit?key_id=key_a&customer_id=cus_a');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      const body = json(res);
      expect(Object.keys(body)).toEqual(['records', 'next_cursor']);
      expect(body.next_cursor).toBeNull();
      const records = body.records as Record<string, unknown>[];
      expect(records.map((r) => r.request_id)).toEqual(['req-2', 'req-1']);
      expect(records[0]).toEqual(RECORD_2);
    });

    it('takes every filter of the CLI', async () => {
      const ids = async (query: string) =>
        (
          (json(await get(`/admin/v1/audit?${query}`)).records ?? []) as { request_id: string }[]
        ).map((r) => r.request_id);
      expect(await ids('customer_id=cus_b')).toEqual(['req-4']);
      expect(await ids('resource=game:srv_1')).toEqual(['req-3']);
      expect(await ids('action=stop')).toEqual(['req-4']);
      expect(await ids('status=403')).toEqual(['req-1']);
      expect(await ids('request_id=req-2')).toEqual(['req-2']);
      expect(await ids(`since=${iso(T0 + 1_000)}&until=${iso(T0 + 3_000)}`)).toEqual([
        'req-3',
        'req-2',
      ]);
      expect(await ids('since=2026-11-24')).toEqual([]);
      expect(await ids('since=3650d')).toEqual(['req-4', 'req-3', 'req-2', 'req-1']);
    });

    it('pages with next_cursor, as the CLI does with --cursor', async () => {
      const first = json(await get('/admin/v1/audit?limit=3'));
      expect((first.records as { request_id: string }[]).map((r) => r.request_id)).toEqual([
        'req-4',
        'req-3',
        'req-2',
      ]);
      expect(first.next_cursor).toEqual(expect.any(String));
      // A record that arrives meanwhile is newer: it does not shift the next page.
      await service.store.audit.append([auditEntry(5, { at: T0 + 4_000 })]);
      const second = json(await get(`/admin/v1/audit?limit=3&cursor=${String(first.next_cursor)}`));
      expect(second).toEqual({
        records: [expect.objectContaining({ request_id: 'req-1' })],
        next_cursor: null,
      });
    });

    it.each([
      [
        'since=yesterday',
        'Query parameter "since": expected a date (2026-11-23), a date and time with its zone (2026-11-23T14:40:00Z) or a duration back from now (24h, 7d)',
      ],
      [
        'resource=vm:1',
        'Query parameter "resource": expected <type>:<id> with type vps or game (vps:vps_123)',
      ],
      ['status=99', 'Query parameter "status": expected an HTTP status from 100 to 599'],
      [
        'action=reboot',
        'Query parameter "action" must be one of "start", "stop", "reset", "restart", "kill"',
      ],
      ['limit=0', 'Query parameter "limit": expected a whole number from 1 to 1000'],
      ['limit=1001', 'Query parameter "limit": expected a whole number from 1 to 1000'],
      [`key_id=${'k'.repeat(257)}`, 'Query parameter "key_id": expected 1 to 256 characters'],
      ['key_id=', 'Query parameter "key_id" must be a non-empty string'],
      ['status=200&status=403', 'Query parameter "status" must be a non-empty string'],
      [
        'event=key.create',
        'Unknown query parameter "event" (known: "since", "until", "key_id", "customer_id", "resource", "action", "status", "request_id", "limit", "cursor")',
      ],
      [
        'cursor=bm9wZQ',
        'Query parameter "cursor": not a cursor of the power audit log; use the next_cursor of the page before',
      ],
    ])('refuses ?%s with 400', async (query, message) => {
      expectError(await get(`/admin/v1/audit?${query}`), 400, 'invalid_request', message);
    });

    it("refuses the operator log's cursor", async () => {
      await service.adminInject({
        method: 'POST',
        url: '/admin/v1/keys',
        headers: bearer(admin.token),
        payload: { customer_id: 'cus_a' },
      });
      await service.adminInject({
        method: 'POST',
        url: '/admin/v1/keys',
        headers: bearer(admin.token),
        payload: { customer_id: 'cus_b' },
      });
      const operator = json(await get('/admin/v1/operator-log?limit=1'));
      expect(operator.next_cursor).toEqual(expect.any(String));
      expectError(
        await get(`/admin/v1/audit?cursor=${String(operator.next_cursor)}`),
        400,
        'invalid_request',
        'Query parameter "cursor": not a cursor of the power audit log; use the next_cursor of the page before',
      );
    });
  });

  describe('GET /admin/v1/audit/export', () => {
    it('streams JSON lines, newest first, as audit export --format jsonl', async () => {
      const res = await get(
        '/admin/v1/audit/export?format=jsonl&key_id=key_a&until=' + iso(T0 + 2_000),
      );
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      expect(res.headers['content-disposition']).toBe('attachment; filename="audit.jsonl"');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-length']).toBeUndefined();
      const lines = res.body.split('\n');
      expect(lines.at(-1)).toBe('');
      expect(lines.slice(0, -1).map((line) => JSON.parse(line) as unknown)).toEqual([
        RECORD_2,
        expect.objectContaining({ request_id: 'req-1', status: 403 }),
      ]);
    });

    it('streams CSV with a header line, formulas defused', async () => {
      const res = await get('/admin/v1/audit/export?format=csv&request_id=req-2');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
      expect(res.headers['content-disposition']).toBe('attachment; filename="audit.csv"');
      expect(res.body).toBe(
        'at,request_id,key_id,customer_id,resource_type,resource_id,action,status,error,client_ip,provider,upstream_status,upstream_detail,task_ref\r\n' +
          `${iso(T0 + 1_000)},req-2,key_a,cus_a,vps,vps_1,start,200,,127.0.0.1,sim,200,"'=HYPERLINK(""http://x"",""y""), then -1","'@task,1"\r\n`,
      );
    });

    it('takes the format from Accept when the query names none; the query wins', async () => {
      const csv = await service.adminInject({
        method: 'GET',
        url: '/admin/v1/audit/export?request_id=req-2',
        headers: { ...bearer(admin.token), accept: 'text/csv' },
      });
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
      expect(csv.body.startsWith('at,request_id,')).toBe(true);
      const jsonl = await service.adminInject({
        method: 'GET',
        url: '/admin/v1/audit/export?request_id=req-2',
        headers: { ...bearer(admin.token), accept: 'application/x-ndjson;q=0.9, */*;q=0.1' },
      });
      expect(jsonl.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      expect(JSON.parse(jsonl.body.trim())).toMatchObject({ request_id: 'req-2' });
      const both = await service.adminInject({
        method: 'GET',
        url: '/admin/v1/audit/export?format=jsonl&request_id=req-2',
        headers: { ...bearer(admin.token), accept: 'text/csv' },
      });
      expect(both.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    });

    it('answers nothing to export as an empty body (JSON lines) or the header line (CSV)', async () => {
      const jsonl = await get('/admin/v1/audit/export?format=jsonl&customer_id=cus_none');
      expect({ status: jsonl.statusCode, body: jsonl.body }).toEqual({ status: 200, body: '' });
      const csv = await get('/admin/v1/audit/export?format=csv&customer_id=cus_none');
      expect(csv.body).toBe(
        'at,request_id,key_id,customer_id,resource_type,resource_id,action,status,error,client_ip,provider,upstream_status,upstream_detail,task_ref\r\n',
      );
    });

    it.each([
      ['', 'Query parameter "format" is required'],
      ['format=xml', 'Query parameter "format" must be one of "jsonl", "csv"'],
      [
        'format=csv&limit=5',
        'Unknown query parameter "limit" (known: "format", "since", "until", "key_id", "customer_id", "resource", "action", "status", "request_id")',
      ],
      [
        'format=csv&status=abc',
        'Query parameter "status": expected an HTTP status from 100 to 599',
      ],
    ])('refuses ?%s with 400', async (query, message) => {
      expectError(await get(`/admin/v1/audit/export?${query}`), 400, 'invalid_request', message);
    });
  });

  describe('GET /admin/v1/operator-log', () => {
    it('answers events with the token as actor, filtered as audit --operator, never a secret', async () => {
      const created = json(
        await service.adminInject({
          method: 'POST',
          url: '/admin/v1/keys',
          headers: bearer(admin.token),
          payload: { customer_id: 'cus_a', name: 'ops' },
        }),
      );
      const provider = await service.adminInject({
        method: 'POST',
        url: '/admin/v1/providers',
        headers: bearer(admin.token),
        payload: {
          name: 'pve9',
          type: 'proxmox',
          url: 'https://pve9.example.net:8006',
          token: 'heo@pve!power=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
        },
      });
      expect(provider.statusCode).toBe(201);
      const res = await get(`/admin/v1/operator-log?key_id=${String(created.id)}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = json(res);
      expect(Object.keys(body)).toEqual(['events', 'next_cursor']);
      expect(body.next_cursor).toBeNull();
      const [event, ...others] = body.events as Record<string, unknown>[];
      expect(others).toEqual([]);
      expect(Object.keys(event ?? {})).toEqual(['at', 'actor', 'event', 'subject', 'detail']);
      expect([event?.actor, event?.event, event?.subject]).toEqual([
        `admin:${admin.id}`,
        'key.create',
        created.id,
      ]);
      expect(new Date(String(event?.at)).toISOString()).toBe(event?.at);
      const events = json(await get('/admin/v1/operator-log?event=provider.add')).events as {
        subject: string;
      }[];
      expect(events.map((e) => e.subject)).toContain('pve9');
      const everything =
        (await get('/admin/v1/operator-log?limit=1000')).body +
        (await get('/admin/v1/operator-log/export?format=jsonl')).body +
        (await get('/admin/v1/operator-log/export?format=csv')).body;
      expect(everything).not.toContain(String(created.key));
      expect(everything).not.toContain('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0');
      expect(everything).not.toContain(admin.token);
    });

    it('exports the operator log as the CLI does', async () => {
      const res = await get('/admin/v1/operator-log/export?format=csv&event=provider.add');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-disposition']).toBe('attachment; filename="operator-log.csv"');
      const [header, ...rows] = res.body.split('\r\n');
      expect(header).toBe('at,actor,event,subject,detail');
      expect(rows.at(-1)).toBe('');
      expect(rows.slice(0, -1).every((row) => row.includes(',provider.add,'))).toBe(true);
    });

    it.each([
      [
        'key_id=key_a&resource=vps:vps_123',
        'Query parameters "key_id" and "resource" exclude each other: the operator log takes one subject',
      ],
      [
        'customer_id=cus_a',
        'Unknown query parameter "customer_id" (known: "since", "until", "key_id", "resource", "event", "limit", "cursor")',
      ],
    ])('refuses ?%s with 400', async (query, message) => {
      expectError(await get(`/admin/v1/operator-log?${query}`), 400, 'invalid_request', message);
    });
  });

  it('needs an admin token for every log route', async () => {
    for (const url of [
      '/admin/v1/audit',
      '/admin/v1/audit/export?format=csv',
      '/admin/v1/operator-log',
      '/admin/v1/operator-log/export?format=jsonl',
    ]) {
      const res = await service.adminInject({ method: 'GET', url });
      expectError(res, 401, 'unauthorized', 'Missing, invalid, or revoked admin token');
    }
  });
});
