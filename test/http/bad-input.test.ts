import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBody } from '../helpers/expect-http.js';
import { rawRequest } from '../helpers/raw-http.js';
import { BACKENDS } from '../helpers/backends.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const VPS = '/v1/hosting/cloud/vps-custom';
const GAME = '/v1/hosting/game/power';

describe.each(BACKENDS)('on $name', (backend) => {
  /** Hostile and careless input over a real socket: always a JSON 4xx, never a crash or a 500. */
  describe('bad input', () => {
    let service: TestService;
    let key: string;
    let base: string;
    let port: number;

    beforeAll(async () => {
      service = await startWithCustomers({ backend, config: { rateLimitPerMinute: 10_000 } });
      key = (await service.createKey('cus_a')).key;
      base = await service.fastify.listen({ host: '127.0.0.1', port: 0 });
      port = Number(new URL(base).port);
      await service.powerOn('vps_123');
    });
    afterAll(() => service.close());

    const post = async (
      path: string,
      init: { headers?: Record<string, string>; body?: string | Buffer } = {},
    ) => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, ...init.headers },
        ...(init.body === undefined ? {} : { body: init.body }),
      });
      return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
    };

    /** A reset with a JSON body, which must be refused with `status` and `code`. */
    const expectJsonBodyRefused = async (body: string, status: number, code: string) => {
      expectJsonError(
        await post(`${VPS}/vps_123/reset`, {
          headers: { 'content-type': 'application/json' },
          body,
        }),
        status,
        code,
      );
    };

    const expectJsonError = (
      res: { status: number; type: string | null; body: string },
      status: number,
      code: string,
    ) => {
      expect(res.status).toBe(status);
      expect(res.type).toMatch(/^application\/json/);
      expect(JSON.parse(res.body)).toMatchObject({ success: false, error: code });
      const parsed = JSON.parse(res.body) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual(['success', 'error', 'message']);
    };

    it('malformed JSON: 400 invalid_request', async () => {
      for (const body of ['{', '{"force": tru}', 'nul', '{"force": true}}']) {
        await expectJsonBodyRefused(body, 400, 'invalid_request');
      }
    });

    it('prototype-poisoning JSON: 400 invalid_request', async () => {
      const body = '{"__proto__": {"force": true}}';
      await expectJsonBodyRefused(body, 400, 'invalid_request');
    });

    it('a 2 MiB body: 413 payload_too_large', async () => {
      const body = JSON.stringify({ force: true, pad: 'x'.repeat(2 * 1024 * 1024) });
      await expectJsonBodyRefused(body, 413, 'payload_too_large');
    });

    it('non-JSON content types with a body: 415 unsupported_media_type', async () => {
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/xml',
        'multipart/form-data; boundary=x',
      ]) {
        expectJsonError(
          await post(`${VPS}/vps_123/start`, {
            headers: { 'content-type': type },
            body: 'force=true',
          }),
          415,
          'unsupported_media_type',
        );
      }
    });

    it('a JSON body sent compressed (Content-Encoding: gzip) is not JSON: 415', async () => {
      const { gzipSync } = await import('node:zlib');
      for (const path of [`${VPS}/vps_123/reset`, `${GAME}/srv_123/kill`]) {
        expectJsonError(
          await post(path, {
            headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
            body: gzipSync('{"force": true}'),
          }),
          415,
          'unsupported_media_type',
        );
      }
    });

    it('every other method on a power path, WebDAV and QUERY included: 405 with Allow: POST', async () => {
      for (const method of ['PROPFIND', 'SEARCH', 'LOCK', 'PURGE', 'QUERY', 'MKCOL', 'REPORT']) {
        for (const path of [`${VPS}/vps_123/start`, `${GAME}/srv_123/kill`, `${VPS}/odd%00/stop`]) {
          const res = await rawRequest(
            port,
            `${method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
          );
          expect({
            method,
            path,
            status: res.status,
            allow: res.headers.allow,
            body: res.body,
          }).toEqual({
            method,
            path,
            status: 405,
            allow: 'POST',
            body: errorBody('method_not_allowed', 'Method not allowed'),
          });
        }
      }
      const health = await rawRequest(
        port,
        'PROPFIND /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      expect([health.status, health.headers.allow]).toEqual([405, 'GET, HEAD']);
    });

    it('an empty body is no body, whatever its content type', async () => {
      for (const type of ['text/plain', 'application/json', 'application/x-www-form-urlencoded']) {
        expect(
          (await post(`${VPS}/vps_123/start`, { headers: { 'content-type': type }, body: '' }))
            .status,
        ).toBe(200);
      }
    });

    it('odd ids are answered like unknown ids: 403, or 401 without a key', async () => {
      const odd = [
        'x'.repeat(5000),
        'a%2Fb',
        '..%2F..%2Fetc',
        'vps_123%00',
        '%00',
        'vps_123%20',
        '%E2%9C%93',
        'vps_123%2F..',
      ];
      for (const id of odd) {
        const res = await post(`${VPS}/${id}/start`);
        expect({ id, status: res.status, body: res.body }).toEqual({
          id,
          status: 403,
          body: errorBody('unauthorized', 'You do not have access to this VPS'),
        });
        const game = await post(`${GAME}/${id}/start`, { headers: { authorization: '' } });
        expect(game.status).toBe(401);
      }
    });

    it('broken percent-encoding: 400 invalid_request', async () => {
      const res = await rawRequest(
        port,
        `POST ${VPS}/%E0%A4%A/start HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ success: false, error: 'invalid_request' });
    });

    it('huge headers: 431 in the same JSON envelope', async () => {
      const res = await rawRequest(
        port,
        `POST ${VPS}/vps_123/start HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
      );
      expect(res.status).toBe(431);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toBe(
        errorBody('request_header_fields_too_large', 'Request headers are too large'),
      );
    });

    it('a malformed request line: 400 in the same JSON envelope', async () => {
      const res = await rawRequest(port, 'THIS IS NOT HTTP\r\n\r\n');
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ success: false, error: 'invalid_request' });
    });

    it('keeps serving afterwards, with every earlier record still in the audit log', async () => {
      const before = (await service.store.audit.list({ limit: 10_000 })).length;
      expect(before).toBeGreaterThan(10);
      const res = await post(`${GAME}/srv_123/start`);
      expect(res.status).toBe(200);
      expect((await service.store.audit.list({ limit: 10_000 })).length).toBe(before + 1);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    });
  });
});
