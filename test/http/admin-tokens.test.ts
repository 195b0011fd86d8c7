import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { BACKENDS } from '../helpers/backends.js';
import { runCliInProcess } from '../helpers/cli.js';
import { bearer, errorBody, expectError } from '../helpers/expect-http.js';
import { captureLogs } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

interface TokenJson {
  readonly id: string;
  readonly name: string | null;
  readonly display_prefix: string;
  readonly status: string;
  readonly token?: string;
}

describe.each(BACKENDS)('admin tokens on $name', (backend) => {
  let service: TestService;
  let env: Readonly<Record<string, string>>;
  const logs = captureLogs('trace');

  beforeAll(async () => {
    service = await startWithCustomers({
      backend,
      logger: logs.logger,
      config: { logLevel: 'trace' },
    });
    if (service.storage === undefined) throw new Error('no storage');
    env = service.storage.env;
  });
  afterAll(() => service.close());

  const cli = async (args: readonly string[]) => {
    const result = await runCliInProcess(args, env);
    return {
      ...result,
      json:
        result.code === 0 && args.includes('--json')
          ? (JSON.parse(result.stdout) as unknown)
          : null,
    };
  };

  it('are created, listed and revoked with the CLI; the token is shown once', async () => {
    const created = await cli(['admin-tokens', 'create', '--name', 'billing', '--json']);
    expect(created.code).toBe(0);
    const token = created.json as TokenJson;
    expect(token).toMatchObject({ name: 'billing', status: 'active' });
    expect(token.id).toMatch(/^adm_[0-9A-Za-z]{16}$/);
    expect(token.token).toMatch(/^heoadm_[0-9A-Za-z]{40}$/);
    expect(token.token?.startsWith(token.display_prefix)).toBe(true);

    const listed = await cli(['admin-tokens', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(token.token);
    expect((listed.json as TokenJson[]).find((t) => t.id === token.id)).toEqual({
      id: token.id,
      name: 'billing',
      display_prefix: token.display_prefix,
      status: 'active',
      created_at: expect.any(String) as unknown,
      revoked_at: null,
    });
    const human = await cli(['admin-tokens', 'list']);
    expect(human.stdout).toContain(token.id);
    expect(human.stdout).not.toContain(token.token);

    const ok = await service.adminInject({
      method: 'GET',
      url: '/admin/v1/vps',
      headers: bearer(token.token ?? ''),
    });
    expect(ok.statusCode).toBe(200);

    const revoked = await cli(['admin-tokens', 'revoke', token.id, '--yes', '--json']);
    expect(revoked.code).toBe(0);
    expect(revoked.json).toMatchObject({ id: token.id, status: 'revoked' });
    const refused = await service.adminInject({
      method: 'GET',
      url: '/admin/v1/vps',
      headers: bearer(token.token ?? ''),
    });
    expectError(refused, 401, 'unauthorized', 'Missing, invalid, or revoked admin token');

    const unknown = await cli(['admin-tokens', 'revoke', 'adm_nope', '--yes']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toBe(
      'heo-power: unknown admin token "adm_nope" (see "admin-tokens list")\n',
    );

    // The operator log names the token by its id only.
    const events = (await service.store.operatorLog.list(50)).filter((e) => e.subject === token.id);
    expect(events.map((e) => e.event).sort()).toEqual(['admin_token.create', 'admin_token.revoke']);
    expect(JSON.stringify(events)).not.toContain(token.token);
  });

  it('a revocation is seen by another instance on its next request', async () => {
    const sibling = await service.sibling({ config: { logLevel: 'silent' } });
    try {
      const { id, token } = await service.createAdminToken('dashboard');
      const before = await sibling.adminInject({
        method: 'GET',
        url: '/admin/v1/keys',
        headers: bearer(token),
      });
      expect(before.statusCode).toBe(200);
      const revoked = await service.adminInject({
        method: 'GET',
        url: `/admin/v1/keys`,
        headers: bearer(token),
      });
      expect(revoked.statusCode).toBe(200);
      await service.container.adminTokens.revoke(id, { name: 'test' });
      const after = await sibling.adminInject({
        method: 'GET',
        url: '/admin/v1/keys',
        headers: bearer(token),
      });
      expectError(after, 401, 'unauthorized', 'Missing, invalid, or revoked admin token');
    } finally {
      await sibling.close();
    }
  });

  it('the admin routes are not served by the public app', async () => {
    const { token } = await service.createAdminToken();
    for (const url of ['/admin/v1/keys', '/admin/v1/openapi.json', '/admin/v1/vps/vps_123']) {
      const res = await service.inject({ method: 'GET', url, headers: bearer(token) });
      expectError(res, 404, 'not_found', 'Endpoint not found');
    }
  });

  it('no admin token, API key or provider credential reaches the logs', async () => {
    const { token } = await service.createAdminToken('log-check');
    const res = await service.adminInject({
      method: 'POST',
      url: '/admin/v1/keys',
      headers: bearer(token),
      payload: { customer_id: 'cus_a' },
    });
    expect(res.statusCode).toBe(201);
    const key = (JSON.parse(res.body) as { key: string }).key;
    const providerToken = 'root@pam!heo=0123456789abcdef0123456789abcdef';
    await service.adminInject({
      method: 'POST',
      url: '/admin/v1/providers',
      headers: bearer(token),
      payload: { name: 'pve9', type: 'proxmox', url: 'ftp://nowhere', token: providerToken },
    });
    await service.adminInject({
      method: 'GET',
      url: `/admin/v1/keys?customer_id=${token}`,
      headers: bearer(token),
    });
    const text = logs.text();
    expect(text).toContain('admin request completed');
    expect(text).not.toContain(token);
    expect(text).not.toContain(key);
    expect(text).not.toContain(providerToken);
  });
});

describe('the admin listener', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('is off unless HEO_ADMIN_PORT is set, and on its own port when it is', async () => {
    const base = {
      ...DEFAULTS,
      logLevel: 'silent' as const,
      databaseUrl: dir.file('heo-power.db'),
      port: 0,
    };
    const off = await startServer(base, { logger: captureLogs('silent').logger });
    try {
      expect(off.adminUrl).toBeNull();
    } finally {
      await off.close();
    }

    const on = await startServer(
      { ...base, adminPort: 0 },
      { logger: captureLogs('silent').logger },
    );
    try {
      expect(on.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+$/);
      const { plaintext } = await on.container.adminTokens.create('listener', { name: 'test' });
      const admin = await fetch(`${on.adminUrl ?? ''}/admin/v1/vps`, {
        headers: bearer(plaintext),
      });
      expect([admin.status, await admin.text()]).toEqual([200, '[]']);
      const document = await fetch(`${on.adminUrl ?? ''}/admin/v1/openapi.json`);
      expect(document.status).toBe(200);
      const publicSide = await fetch(`${on.url}/admin/v1/vps`, { headers: bearer(plaintext) });
      expect([publicSide.status, await publicSide.text()]).toEqual([
        404,
        errorBody('not_found', 'Endpoint not found'),
      ]);
    } finally {
      await on.close();
    }
  });
});
