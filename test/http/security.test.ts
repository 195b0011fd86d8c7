import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/domain/api-key.js';
import { bearer, expectError } from '../helpers/expect-http.js';
import { ALL_ROUTES } from '../helpers/families.js';
import { BACKENDS } from '../helpers/backends.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const UNAUTHORIZED = ['unauthorized', 'Missing, invalid, or revoked API key'] as const;

describe.each(BACKENDS)('on $name', (backend) => {
  /**
   * One security suite, run against every power route: each way a request can lack the right to act
   * gets the answer of the reference, and none of them reaches the provider.
   */
  describe.each(ALL_ROUTES)(
    'security of POST $family.base/{id}/$action',
    ({ family, action, path }) => {
      let service: TestService;
      const keys: Record<string, string> = {};

      beforeAll(async () => {
        service = await startWithCustomers({ backend });
        await service.addVps('vps_789', 'cus_a');
        await service.addGame('srv_789', 'cus_a');
        keys.power = (await service.createKey('cus_a')).key;
        keys.read = (await service.createKey('cus_a', { scope: 'read' })).key;
        keys.restricted = (
          await service.createKey('cus_a', {
            resources: [
              { type: 'vps', id: 'vps_789' },
              { type: 'game', id: 'srv_789' },
            ],
          })
        ).key;
        const revoked = await service.createKey('cus_a');
        await service.revokeKey(revoked.id);
        keys.revoked = revoked.key;
        keys.expired = (await service.createExpiredKey('cus_a')).key;
        await service.powerOn(family.own, 'vps_789', 'srv_789');
      });
      afterAll(() => service.close());

      const call = (id: string, headers: Record<string, string>) =>
        service.inject({ method: 'POST', url: path(id), headers });

      const actionsReceived = async (ref: string) =>
        (await service.simulator()).machine(ref).actions;

      const knownValid = generateApiKey().plaintext;
      const typo = `${knownValid.slice(0, 10)}${knownValid[10] === 'a' ? 'b' : 'a'}${knownValid.slice(11)}`;

      it.each([
        ['no Authorization header', {}],
        [
          'another scheme',
          { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
        ],
        ['a token without a scheme', { authorization: 'heo_abc' }],
        ['an empty bearer token', { authorization: 'Bearer ' }],
        ['garbage', { authorization: 'Bearer !!!not-a-key!!!' }],
        ['a key with a wrong checksum', { authorization: `Bearer ${typo}` }],
        ['a well-formed key that does not exist', { authorization: `Bearer ${knownValid}` }],
      ])('401 for %s', async (_label, headers: Record<string, string>) => {
        const res = await call(family.own, headers);
        expectError(res, 401, ...UNAUTHORIZED);
        expect(res.headers['www-authenticate']).toBe('Bearer');
      });

      it('401 for a revoked key', async () => {
        expectError(await call(family.own, bearer(keys.revoked ?? '')), 401, ...UNAUTHORIZED);
      });

      it('401 for an expired key', async () => {
        expectError(await call(family.own, bearer(keys.expired ?? '')), 401, ...UNAUTHORIZED);
      });

      it("403 for another customer's id, and the provider is never called", async () => {
        const before = await actionsReceived(family.foreign);
        expectError(
          await call(family.foreign, bearer(keys.power ?? '')),
          403,
          family.deniedCode,
          family.deniedMessage,
        );
        expect(await actionsReceived(family.foreign)).toBe(before);
      });

      it('403, identical, for an id that does not exist', async () => {
        expectError(
          await call('does_not_exist', bearer(keys.power ?? '')),
          403,
          family.deniedCode,
          family.deniedMessage,
        );
      });

      it('403 for a key restricted to other resources of the same customer', async () => {
        expectError(
          await call(family.own, bearer(keys.restricted ?? '')),
          403,
          family.deniedCode,
          family.deniedMessage,
        );
        const allowed = family.name === 'vps' ? 'vps_789' : 'srv_789';
        expect((await call(allowed, bearer(keys.restricted ?? ''))).statusCode).toBe(200);
      });

      it('403 insufficient_scope for a read key, and the provider is never called', async () => {
        const before = await actionsReceived(family.own);
        expectError(
          await call(family.own, bearer(keys.read ?? '')),
          403,
          'insufficient_scope',
          'This API key only has read scope',
        );
        expect(await actionsReceived(family.own)).toBe(before);
      });

      it('200 for the power key of the owner (the control case)', async () => {
        const res = await call(family.own, bearer(keys.power ?? ''));
        expect(res.statusCode).toBe(200);
        expect(JSON.parse(res.body)).toMatchObject({
          success: true,
          action,
          [family.idField]: family.own,
        });
      });
    },
  );

  describe.each(ALL_ROUTES)('rate limit of POST $family.base/{id}/$action', ({ path, family }) => {
    let service: TestService;
    beforeAll(async () => {
      service = await startWithCustomers({ backend, config: { rateLimitPerMinute: 1 } });
      await service.powerOn(family.own);
    });
    afterAll(() => service.close());

    it('429 once the key is over its limit, before any access check', async () => {
      const { key } = await service.createKey('cus_a');
      expect(
        (await service.inject({ method: 'POST', url: path(family.own), headers: bearer(key) }))
          .statusCode,
      ).toBe(200);
      for (const id of [family.own, family.foreign]) {
        const res = await service.inject({ method: 'POST', url: path(id), headers: bearer(key) });
        expectError(res, 429, 'rate_limited', 'Too many requests');
        expect(res.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
      }
    });
  });
});
