import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { bearer, expectError } from '../helpers/expect-http.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

type Body = Record<string, unknown>;

describe.each(BACKENDS)('the admin API on $name', (backend) => {
  let service: TestService;
  let admin: { id: string; token: string };

  beforeAll(async () => {
    service = await startWithCustomers({ backend });
    admin = await service.createAdminToken('billing');
  });
  afterAll(() => service.close());

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    service.adminInject({
      method,
      url,
      headers: bearer(admin.token),
      ...(payload === undefined ? {} : { payload: payload as Body }),
    });

  const json = (res: { body: string }): Body => JSON.parse(res.body) as Body;

  /** The latest operator event: who did what to what. */
  const lastEvent = async () => {
    const [event] = await service.store.operatorLog.list(1);
    return event === undefined
      ? undefined
      : { actor: event.actor, event: event.event, subject: event.subject };
  };

  describe('authentication', () => {
    const UNAUTHORIZED = 'Missing, invalid, or revoked admin token';

    it.each([
      ['no Authorization header', undefined],
      ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
      ['a malformed token', 'Bearer heoadm_short'],
      ['an unknown token', `Bearer heoadm_${'A'.repeat(40)}`],
      ['a customer API key', 'Bearer heo_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ])('refuses %s with 401', async (_name, authorization) => {
      const res = await service.adminInject({
        method: 'GET',
        url: '/admin/v1/keys',
        headers: authorization === undefined ? {} : { authorization },
      });
      expectError(res, 401, 'unauthorized', UNAUTHORIZED);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    });

    it('refuses a revoked token from the next request on, before reading the body', async () => {
      const other = await service.createAdminToken('dashboard');
      const ok = await service.adminInject({
        method: 'GET',
        url: '/admin/v1/keys',
        headers: bearer(other.token),
      });
      expect(ok.statusCode).toBe(200);
      await service.container.adminTokens.revoke(other.id, { name: 'test' });
      const res = await service.adminInject({
        method: 'POST',
        url: '/admin/v1/keys',
        headers: { ...bearer(other.token), 'content-type': 'application/json' },
        payload: '{not json',
      });
      expectError(res, 401, 'unauthorized', UNAUTHORIZED);
    });

    it('serves its OpenAPI document without a token', async () => {
      const res = await service.adminInject({ method: 'GET', url: '/admin/v1/openapi.json' });
      expect(res.statusCode).toBe(200);
      const document = json(res);
      expect(document.openapi).toBe('3.1.0');
    });
  });

  describe('bad input', () => {
    it('refuses a body that is not JSON, not an object, or too large', async () => {
      const notJson = await service.adminInject({
        method: 'POST',
        url: '/admin/v1/keys',
        headers: { ...bearer(admin.token), 'content-type': 'application/json' },
        payload: '{"customer_id":',
      });
      expectError(notJson, 400, 'invalid_request', 'Request body is not valid JSON');
      expectError(
        await call('POST', '/admin/v1/keys', [1, 2]),
        400,
        'invalid_request',
        'Request body must be a JSON object',
      );
      expectError(
        await service.adminInject({
          method: 'POST',
          url: '/admin/v1/keys',
          headers: { ...bearer(admin.token), 'content-type': 'text/plain' },
          payload: 'customer_id=cus_a',
        }),
        415,
        'unsupported_media_type',
        'Request body must be JSON (application/json)',
      );
      expectError(
        await call('POST', '/admin/v1/keys', { customer_id: 'x'.repeat(20_000) }),
        413,
        'payload_too_large',
        'Request body must not exceed 16384 bytes',
      );
    });

    it('answers an unknown admin route 404 in the envelope', async () => {
      expectError(await call('GET', '/admin/v1/nothing'), 404, 'not_found', 'Endpoint not found');
    });
  });

  describe('keys', () => {
    it('creates a key as "keys create" does, shown once, recorded with the token as actor', async () => {
      const res = await call('POST', '/admin/v1/keys', {
        customer_id: 'cus_a',
        scope: 'read',
        vps: ['vps_123'],
        servers: ['srv_123'],
        expires_in: '30d',
        name: 'dashboard',
        allowed_ips: ['192.0.2.0/24'],
      });
      expect(res.statusCode).toBe(201);
      const body = json(res);
      expect(body).toMatchObject({
        customer_id: 'cus_a',
        name: 'dashboard',
        scope: 'read',
        resources: ['game:srv_123', 'vps:vps_123'],
        allowed_ips: ['192.0.2.0/24'],
        status: 'active',
        revoked_at: null,
        last_used_at: null,
      });
      expect(body.key).toMatch(/^heo_[0-9A-Za-z]{36}$/);
      expect(Object.keys(body)).toEqual([
        'id',
        'customer_id',
        'name',
        'scope',
        'resources',
        'allowed_ips',
        'display_prefix',
        'status',
        'created_at',
        'expires_at',
        'revoked_at',
        'last_used_at',
        'key',
      ]);
      const id = body.id as string;
      expect(await lastEvent()).toEqual({
        actor: `admin:${admin.id}`,
        event: 'key.create',
        subject: id,
      });
      // The key itself is never answered again.
      const shown = await call('GET', `/admin/v1/keys/${id}`);
      expect(shown.statusCode).toBe(200);
      expect(shown.body).not.toContain(body.key as string);
      const { key: _key, ...listed } = body;
      expect(json(shown)).toEqual(listed);
    });

    it.each([
      [{}, 'Field "customer_id" is required'],
      [
        { customer_id: 'cus_a', custmer: 'x' },
        'Unknown field "custmer" (known: "customer_id", "scope", "vps", "servers", "expires_in", "name", "allowed_ips")',
      ],
      [{ customer_id: 42 }, 'Field "customer_id" must be a non-empty string'],
      [{ customer_id: 'cus_a', scope: 'admin' }, 'Field "scope" must be one of "power", "read"'],
      [
        { customer_id: 'cus_a', vps: 'vps_123' },
        'Field "vps" must be an array of non-empty strings',
      ],
      [
        { customer_id: 'cus_a', expires_in: 30 },
        'Field "expires_in" must be a duration like "90s", "15m", "12h" or "30d"',
      ],
    ])('refuses the body %j with 400', async (payload, message) => {
      expectError(await call('POST', '/admin/v1/keys', payload), 400, 'invalid_request', message);
    });

    it('refuses what a rule refuses with 422, the message of the CLI', async () => {
      expectError(
        await call('POST', '/admin/v1/keys', { customer_id: 'cus_a', vps: ['vps_456'] }),
        422,
        'refused',
        'VPS "vps_456" is not a VPS of customer "cus_a"',
      );
      expectError(
        await call('POST', '/admin/v1/keys', { customer_id: 'bad id' }),
        422,
        'refused',
        'invalid customer id "bad id": ids are 1 to 128 characters of letters, digits, "_", ".", ":" and "-", starting with a letter or digit',
      );
    });

    it('lists keys, of one customer with ?customer_id=', async () => {
      await service.createKey('cus_b', { name: 'b-key' });
      const all = json(await call('GET', '/admin/v1/keys')) as unknown as Body[];
      expect(new Set(all.map((k) => k.customer_id))).toEqual(new Set(['cus_a', 'cus_b']));
      const res = await call('GET', '/admin/v1/keys?customer_id=cus_b');
      expect(res.statusCode).toBe(200);
      const onlyB = json(res) as unknown as Body[];
      expect(onlyB.map((k) => k.customer_id)).toEqual(onlyB.map(() => 'cus_b'));
      expect(onlyB.length).toBeGreaterThan(0);
      expect(res.body).not.toMatch(/"key"|hash/);
      expectError(
        await call('GET', '/admin/v1/keys?customer=cus_b'),
        400,
        'invalid_request',
        'Unknown query parameter "customer" (known: "customer_id")',
      );
    });

    it('shows, revokes and rotates keys; unknown ids are 404', async () => {
      const { id, key } = await service.createKey('cus_a');
      const revoked = await call('POST', `/admin/v1/keys/${id}/revoke`);
      expect(revoked.statusCode).toBe(200);
      expect(json(revoked)).toMatchObject({ id, status: 'revoked' });
      expect(await lastEvent()).toEqual({
        actor: `admin:${admin.id}`,
        event: 'key.revoke',
        subject: id,
      });
      // Refused on the public API from the next request on.
      const power = await service.inject({
        method: 'POST',
        url: '/v1/hosting/cloud/vps-custom/vps_123/start',
        headers: bearer(key),
      });
      expect(power.statusCode).toBe(401);
      expectError(
        await call('POST', `/admin/v1/keys/${id}/rotate`),
        422,
        'refused',
        `key "${id}" is revoked: create a new one`,
      );

      const fresh = await service.createKey('cus_a');
      const rotated = await call('POST', `/admin/v1/keys/${fresh.id}/rotate`, { overlap: '1h' });
      expect(rotated.statusCode).toBe(201);
      const body = json(rotated);
      expect(body.key).toMatch(/^heo_/);
      expect(body.replaces).toMatchObject({ id: fresh.id, status: 'active' });
      expectError(
        await call('POST', `/admin/v1/keys/${fresh.id}/rotate`),
        409,
        'conflict',
        `key "${fresh.id}" was already rotated or is no longer active`,
      );
      expectError(
        await call('POST', `/admin/v1/keys/${fresh.id}/rotate`, { overlap: 'soon' }),
        400,
        'invalid_request',
        'Field "overlap" must be a duration like "90s", "15m", "12h" or "30d"',
      );

      for (const url of ['/admin/v1/keys/key_nope', '/admin/v1/keys/key_nope/revoke']) {
        expectError(
          await call(url.endsWith('revoke') ? 'POST' : 'GET', url),
          404,
          'not_found',
          'unknown key "key_nope" (see "keys list")',
        );
      }
      expectError(
        await call('POST', `/admin/v1/keys/${id}/revoke`, { reason: 'x' }),
        400,
        'invalid_request',
        'Unknown field "reason": this endpoint takes none',
      );
    });
  });

  describe.each([
    { path: 'vps', type: 'vps', noun: 'VPS', command: 'vps' },
    { path: 'game-servers', type: 'game', noun: 'game server', command: 'game' },
  ])('/admin/v1/$path', ({ path, type, noun, command }) => {
    const base = `/admin/v1/${path}`;
    const id = `${type}_admin`;

    it('adds, shows, lists, updates, moves and removes a machine', async () => {
      const added = await call('POST', base, { id, customer_id: 'cus_a', provider: 'sim' });
      expect(added.statusCode).toBe(201);
      expect(json(added)).toMatchObject({
        type,
        id,
        customer_id: 'cus_a',
        provider: 'sim',
        ref: id,
      });
      expect(await lastEvent()).toMatchObject({ actor: `admin:${admin.id}`, subject: id });

      expect(json(await call('GET', `${base}/${id}`))).toEqual(json(added));
      const listed = json(await call('GET', `${base}?customer_id=cus_a`)) as unknown as Body[];
      expect(listed.map((m) => m.id)).toContain(id);
      expect(listed.every((m) => m.type === type && m.customer_id === 'cus_a')).toBe(true);

      const updated = await call('PATCH', `${base}/${id}`, { ref: `${id}-2` });
      expect(updated.statusCode).toBe(200);
      expect(json(updated)).toMatchObject({ id, customer_id: 'cus_a', ref: `${id}-2` });

      const moved = await call('PATCH', `${base}/${id}`, { customer_id: 'cus_b' });
      expect(moved.statusCode).toBe(200);
      expect(json(moved)).toMatchObject({
        id,
        customer_id: 'cus_b',
        previous_customer_id: 'cus_a',
        unscoped_keys: [],
      });
      expect(await lastEvent()).toMatchObject({ actor: `admin:${admin.id}` });

      const removed = await call('DELETE', `${base}/${id}`);
      expect(removed.statusCode).toBe(200);
      expect(json(removed)).toMatchObject({
        id,
        customer_id: 'cus_b',
        removed: true,
        unscoped_keys: [],
      });
      expect(await lastEvent()).toMatchObject({ actor: `admin:${admin.id}` });
      expectError(
        await call('GET', `${base}/${id}`),
        404,
        'not_found',
        `unknown ${noun} "${id}" (see "${command} list")`,
      );
    });

    it('refuses what the CLI refuses, with the status of its kind', async () => {
      const existing = type === 'vps' ? 'vps_123' : 'srv_123';
      expectError(
        await call('POST', base, { id: existing, customer_id: 'cus_a', provider: 'sim' }),
        409,
        'conflict',
        `${noun} "${existing}" already exists`,
      );
      expectError(
        await call('POST', base, { id: 'x1', customer_id: 'cus_a', provider: 'nope' }),
        404,
        'not_found',
        'unknown provider "nope" (see "providers list")',
      );
      expectError(
        await call('POST', base, { id: 'x1', customer_id: 'cus_a' }),
        400,
        'invalid_request',
        'Field "provider" is required',
      );
      expectError(
        await call('POST', base, { id: 'x1', customer_id: 'cus_a', provider: 'sim', owner: 'a' }),
        400,
        'invalid_request',
        'Unknown field "owner" (known: "id", "customer_id", "provider", "ref")',
      );
      expectError(
        await call('PATCH', `${base}/${existing}`, {}),
        400,
        'invalid_request',
        'Nothing to change: give "customer_id", "provider" or "ref"',
      );
      expectError(
        await call('PATCH', `${base}/${existing}`, { customer_id: 'cus_a' }),
        422,
        'refused',
        `${noun} "${existing}" already belongs to customer "cus_a"`,
      );
      expectError(
        await call('DELETE', `${base}/nope`),
        404,
        'not_found',
        `unknown ${noun} "nope" (see "${command} list")`,
      );
    });
  });

  describe('providers', () => {
    it('adds, lists, shows, updates, tests and removes a provider', async () => {
      const added = await call('POST', '/admin/v1/providers', {
        name: 'sim2',
        type: 'simulator',
        transition_ms: 100,
      });
      expect(added.statusCode).toBe(201);
      expect(json(added)).toEqual({
        name: 'sim2',
        type: 'simulator',
        settings: { transitionMs: 100 },
        credential: null,
      });
      expect(await lastEvent()).toMatchObject({ actor: `admin:${admin.id}`, subject: 'sim2' });

      const list = json(await call('GET', '/admin/v1/providers')) as unknown as Body[];
      expect(list.map((p) => p.name)).toEqual(expect.arrayContaining(['sim', 'sim2']));
      const shown = await call('GET', '/admin/v1/providers/sim');
      expect(json(shown)).toMatchObject({ name: 'sim', type: 'simulator', resources: 4 });

      const updated = await call('PATCH', '/admin/v1/providers/sim2', { transition_ms: 200 });
      expect(updated.statusCode).toBe(200);
      expect(json(updated)).toMatchObject({
        name: 'sim2',
        settings: { transitionMs: 200 },
        changed: ['transitionMs'],
      });
      expect(await lastEvent()).toMatchObject({ actor: `admin:${admin.id}`, subject: 'sim2' });

      const tested = await call('POST', '/admin/v1/providers/sim2/test');
      expect(tested.statusCode).toBe(200);
      expect(json(tested)).toMatchObject({
        name: 'sim2',
        type: 'simulator',
        ok: true,
        failure: null,
      });

      const removed = await call('DELETE', '/admin/v1/providers/sim2');
      expect([removed.statusCode, json(removed)]).toEqual([200, { name: 'sim2', removed: true }]);
      expect(await lastEvent()).toMatchObject({ actor: `admin:${admin.id}`, subject: 'sim2' });
    });

    it('refuses what the CLI refuses, with the status of its kind', async () => {
      expectError(
        await call('POST', '/admin/v1/providers', { name: 'sim', type: 'simulator' }),
        409,
        'conflict',
        'provider "sim" already exists',
      );
      expectError(
        await call('POST', '/admin/v1/providers', { name: 'x', type: 'vmware' }),
        422,
        'refused',
        'unknown provider type "vmware" (known: simulator, proxmox, pterodactyl)',
      );
      expectError(
        await call('POST', '/admin/v1/providers', { name: 'x', type: 'simulator', timeout_ms: 0 }),
        400,
        'invalid_request',
        'Field "timeout_ms" must be a whole number from 1 to 300000',
      );
      expectError(
        await call('PATCH', '/admin/v1/providers/sim', { url: 'https://a', colour: 'red' }),
        400,
        'invalid_request',
        'Unknown field "colour" (known: "url", "token", "ca_pem", "insecure_tls", "timeout_ms", "transition_ms", "system_ca")',
      );
      expectError(
        await call('PATCH', '/admin/v1/providers/sim', {}),
        400,
        'invalid_request',
        'Nothing to change: give "url", "token", "ca_pem", "insecure_tls", "timeout_ms", "transition_ms", "system_ca"',
      );
      expectError(
        await call('DELETE', '/admin/v1/providers/sim'),
        409,
        'in_use',
        'provider "sim" still runs 4 machines: it cannot be removed while VPS or game servers use it (move them with "vps update" or "game update", or remove them)',
      );
      for (const [method, url] of [
        ['GET', '/admin/v1/providers/nope'],
        ['PATCH', '/admin/v1/providers/nope'],
        ['DELETE', '/admin/v1/providers/nope'],
        ['POST', '/admin/v1/providers/nope/test'],
      ] as const) {
        expectError(
          await call(method, url, method === 'PATCH' ? { transition_ms: 5 } : undefined),
          404,
          'not_found',
          'unknown provider "nope" (see "providers list")',
        );
      }
    });
  });
});
