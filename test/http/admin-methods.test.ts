import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectError } from '../helpers/expect-http.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const NOT_ALLOWED = '{"success":false,"error":"method_not_allowed","message":"Method not allowed"}';

/** Like the public API, an admin path called with a method it does not serve is 405 with `Allow`. */
describe('the admin API and methods a path does not serve', () => {
  let service: TestService;
  let token: string;

  beforeAll(async () => {
    service = await startWithCustomers();
    ({ token } = await service.createAdminToken('billing'));
  });
  afterAll(() => service.close());

  it.each([
    ['PUT', '/admin/v1/keys', 'POST, GET'],
    ['DELETE', '/admin/v1/keys/key_4Yb1dQ0aZk3xN9tR', 'GET'],
    ['GET', '/admin/v1/keys/key_4Yb1dQ0aZk3xN9tR/revoke', 'POST'],
    ['PUT', '/admin/v1/keys/key_4Yb1dQ0aZk3xN9tR/rotate', 'POST'],
    ['PUT', '/admin/v1/vps/vps_123', 'GET, PATCH, DELETE'],
    ['DELETE', '/admin/v1/game-servers', 'POST, GET'],
    ['POST', '/admin/v1/providers/sim', 'GET, PATCH, DELETE'],
    ['GET', '/admin/v1/providers/sim/test', 'POST'],
    ['POST', '/admin/v1/audit', 'GET'],
    ['HEAD', '/admin/v1/audit/export', 'GET'],
    ['DELETE', '/admin/v1/operator-log', 'GET'],
    ['POST', '/admin/v1/openapi.json', 'GET'],
    ['PROPFIND', '/admin/v1/keys', 'POST, GET'],
  ])(
    'answers %s %s 405 with Allow: %s, before the token is checked',
    async (method, url, allow) => {
      for (const headers of [bearer(token), {}]) {
        const res = await service.adminInject({
          method,
          url,
          headers: { ...headers, 'content-type': 'application/json' },
          payload: method === 'GET' || method === 'HEAD' ? undefined : '{not json',
        });
        expect(res.statusCode).toBe(405);
        expect(res.headers.allow).toBe(allow);
        expect(res.headers['x-request-id']).toEqual(expect.any(String));
        if (method !== 'HEAD') {
          expect(res.body).toBe(NOT_ALLOWED);
          expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        }
      }
    },
  );

  it('still answers an unknown path 404, whatever the method', async () => {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      expectError(
        await service.adminInject({ method, url: '/admin/v1/nothing', headers: bearer(token) }),
        404,
        'not_found',
        'Endpoint not found',
      );
    }
    expectError(
      await service.adminInject({
        method: 'GET',
        url: '/admin/v1/keys/a/b/c',
        headers: bearer(token),
      }),
      404,
      'not_found',
      'Endpoint not found',
    );
  });

  it('still serves the methods a path has', async () => {
    const res = await service.adminInject({
      method: 'GET',
      url: '/admin/v1/providers/sim',
      headers: bearer(token),
    });
    expect(res.statusCode).toBe(200);
  });
});
