import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  errorBody,
  expectError,
  expectJson,
  expectProviderError,
} from '../helpers/expect-http.js';
import { FAMILY_CASES, SUCCESS_MESSAGES } from '../helpers/families.js';
import { BACKENDS } from '../helpers/backends.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

describe.each(BACKENDS)('on $name', (backend) => {
  describe.each(FAMILY_CASES)('the published contract of the $name family', (family) => {
    let service: TestService;
    let power: string;
    let read: string;

    beforeAll(async () => {
      service = await startWithCustomers({ backend, config: { providerTimeoutMs: 200 } });
      await service.addVps('vps_broken', 'cus_a', 'sim', 'fail-vps');
      await service.addGame('srv_broken', 'cus_a', 'sim', 'fail-srv');
      await service.addVps('vps_slow', 'cus_a', 'sim', 'hang-vps');
      await service.addGame('srv_slow', 'cus_a', 'sim', 'hang-srv');
      power = (await service.createKey('cus_a')).key;
      read = (await service.createKey('cus_a', { scope: 'read' })).key;
    });
    afterAll(() => service.close());

    const post = (
      path: string,
      key?: string,
      extra: { headers?: Record<string, string>; payload?: string } = {},
    ) =>
      service.inject({
        method: 'POST',
        url: `${family.base}${path}`,
        headers: { ...(key === undefined ? {} : bearer(key)), ...extra.headers },
        ...(extra.payload === undefined ? {} : { payload: extra.payload }),
      });

    describe('200 success', () => {
      it.each(family.actions)(
        '%s answers the exact success body of the reference',
        async (action) => {
          // A reset needs a running machine, as on Proxmox.
          expect((await post(`/${family.own}/start`, power)).statusCode).toBe(200);
          const query = action === family.confirm ? '?force=true' : '';
          const res = await post(`/${family.own}/${action}${query}`, power);
          expect(res.statusCode).toBe(200);
          expectJson(res);
          expect(res.body).toBe(
            `{"success":true,"action":"${action}","${family.idField}":"${family.own}","status":"requested","message":"${SUCCESS_MESSAGES[action]}"}`,
          );
        },
      );

      it('accepts Content-Type: application/json with an empty body', async () => {
        const res = await post(`/${family.own}/start`, power, {
          headers: { 'content-type': 'application/json' },
        });
        expect(res.statusCode).toBe(200);
      });

      it.each([
        ['query force=true', '?force=true', undefined],
        ['JSON body {"force": true}', '', '{"force": true}'],
        ['JSON body {"force": "true"}', '', '{"force": "true"}'],
      ])(`confirms ${family.confirm} with %s`, async (_label, query, payload) => {
        const res = await post(`/${family.own}/${family.confirm}${query}`, power, {
          ...(payload === undefined
            ? {}
            : { payload, headers: { 'content-type': 'application/json' } }),
        });
        expect(res.statusCode).toBe(200);
        expect(JSON.parse(res.body)).toMatchObject({ success: true, action: family.confirm });
      });
    });

    describe('400 confirmation_required', () => {
      it.each([
        ['no confirmation', '', undefined],
        ['force=false', '?force=false', undefined],
        ['force=TRUE', '?force=TRUE', undefined],
        ['force=1', '?force=1', undefined],
        ['{"force": false}', '', '{"force": false}'],
        ['{"force": 1}', '', '{"force": 1}'],
        ['{"force": "yes"}', '', '{"force": "yes"}'],
        ['[true]', '', '[true]'],
      ])(`refuses ${family.confirm} with %s`, async (_label, query, payload) => {
        const res = await post(`/${family.own}/${family.confirm}${query}`, power, {
          ...(payload === undefined
            ? {}
            : { payload, headers: { 'content-type': 'application/json' } }),
        });
        expectError(res, 400, 'confirmation_required', family.confirmMessage);
      });
    });

    describe('401 unauthorized', () => {
      it('refuses a request without a key, with WWW-Authenticate: Bearer', async () => {
        const res = await post(`/${family.own}/start`);
        expectError(res, 401, 'unauthorized', 'Missing, invalid, or revoked API key');
        expect(res.headers['www-authenticate']).toBe('Bearer');
        expect(res.headers['ratelimit-limit']).toBeUndefined();
      });

      it('accepts the scheme name in any case', async () => {
        for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
          const res = await post(`/${family.own}/start`, undefined, {
            headers: { authorization: `${scheme} ${power}` },
          });
          expect(res.statusCode).toBe(200);
        }
      });
    });

    describe('403', () => {
      it(`answers ${family.deniedCode} for another customer's id and an unknown id alike`, async () => {
        const foreign = await post(`/${family.foreign}/start`, power);
        const unknown = await post(`/${family.own}x/start`, power);
        expectError(foreign, 403, family.deniedCode, family.deniedMessage);
        expectError(unknown, 403, family.deniedCode, family.deniedMessage);
        expect(unknown.headers['content-length']).toBe(foreign.headers['content-length']);
      });

      it('answers insufficient_scope to a read key', async () => {
        const res = await post(`/${family.own}/start`, read);
        expectError(res, 403, 'insufficient_scope', 'This API key only has read scope');
      });
    });

    describe('404 not_found', () => {
      it.each([
        `/${family.own}/${family.notAnAction}`,
        `/${family.own}/start/`,
        `/${family.own}`,
        `/${family.own}/START`,
      ])('answers an unknown path %s before authentication', async (path) => {
        expectError(await post(path), 404, 'not_found', 'Endpoint not found');
        expectError(await post(path, power), 404, 'not_found', 'Endpoint not found');
      });
    });

    describe('405 method_not_allowed', () => {
      it.each(['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] as const)(
        'answers %s on a power path with Allow: POST, before authentication',
        async (method) => {
          const res = await service.inject({ method, url: `${family.base}/${family.own}/start` });
          expect(res.statusCode).toBe(405);
          expect(res.headers.allow).toBe('POST');
          if (method !== 'HEAD')
            expect(res.body).toBe(errorBody('method_not_allowed', 'Method not allowed'));
        },
      );
    });

    describe('502 provider_error', () => {
      it('answers when the provider refuses the action', async () => {
        const res = await post(
          `/${family.name === 'vps' ? 'vps_broken' : 'srv_broken'}/start`,
          power,
        );
        expectProviderError(res, 'provider_rejected');
      });

      it('answers when the provider does not answer in time', async () => {
        const res = await post(`/${family.name === 'vps' ? 'vps_slow' : 'srv_slow'}/stop`, power);
        expectProviderError(res, 'provider_timeout');
      });
    });
  });

  describe('429 rate_limited', () => {
    let service: TestService;
    let key: string;

    beforeAll(async () => {
      service = await startWithCustomers({ backend, config: { rateLimitPerMinute: 3 } });
      key = (await service.createKey('cus_a')).key;
    });
    afterAll(() => service.close());

    it('counts every request of a key across both families, then answers 429 with Retry-After', async () => {
      const paths = [
        '/v1/hosting/cloud/vps-custom/vps_123/start',
        '/v1/hosting/game/power/srv_123/start',
        '/v1/hosting/cloud/vps-custom/vps_456/start',
      ];
      const remaining: string[] = [];
      for (const url of paths) {
        const res = await service.inject({ method: 'POST', url, headers: bearer(key) });
        expect(res.headers['ratelimit-limit']).toBe('3');
        remaining.push(String(res.headers['ratelimit-remaining']));
      }
      expect(remaining).toEqual(['2', '1', '0']);

      for (const url of [
        '/v1/hosting/game/power/srv_123/stop',
        '/v1/hosting/cloud/vps-custom/vps_123/stop',
      ]) {
        const res = await service.inject({ method: 'POST', url, headers: bearer(key) });
        expectError(res, 429, 'rate_limited', 'Too many requests');
        const retryAfter = Number(res.headers['retry-after']);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(res.headers['ratelimit-remaining']).toBe('0');
      }
    });

    it('keeps a separate budget for every key', async () => {
      const other = (await service.createKey('cus_a')).key;
      const res = await service.inject({
        method: 'POST',
        url: '/v1/hosting/cloud/vps-custom/vps_123/start',
        headers: bearer(other),
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['ratelimit-remaining']).toBe('2');
    });
  });
});
