import { writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectError } from '../helpers/expect-http.js';
import { FakeProxmox } from '../helpers/fake-proxmox.js';
import { tempDir } from '../helpers/temp-dir.js';
import { TEST_ACTOR, TestService } from '../helpers/test-service.js';
import { type TestTls, testTls } from '../helpers/tls.js';

const TOKEN_ID = 'heo@pve!power';
const SECRET = '2d1f6a2c-8c1e-4b8e-9a51-0a4f0c3b9e77';

/** A provider's CA given to the admin API as PEM text: checked and stored as `--ca-file` stores it. */
describe('the admin API and provider CA certificates', () => {
  const dir = tempDir('heo-power-admin-ca-');
  let tls: TestTls;
  let pve: FakeProxmox;
  let service: TestService;
  let admin: { id: string; token: string };

  beforeAll(async () => {
    tls = await testTls();
    pve = await FakeProxmox.start(tls.server);
    pve.addToken(TOKEN_ID, SECRET);
    service = await TestService.start();
    admin = await service.createAdminToken('billing');
  });
  afterAll(async () => {
    await service.close();
    await pve.close();
    dir.remove();
  });

  const call = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object) =>
    service.adminInject({
      method,
      url,
      headers: bearer(admin.token),
      ...(payload === undefined ? {} : { payload }),
    });
  const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, unknown>;
  const fingerprint = () => new X509Certificate(tls.caPem).fingerprint256;

  it('takes ca_pem on POST: the provider is trusted with it, and stored as with --ca-file', async () => {
    const added = await call('POST', '/admin/v1/providers', {
      name: 'pve1',
      type: 'proxmox',
      url: pve.url,
      token: `${TOKEN_ID}=${SECRET}`,
      ca_pem: `a note before the certificate\n${tls.caPem}`,
    });
    expect(added.statusCode).toBe(201);
    expect(json(added).settings).toEqual({ url: pve.url, caFingerprint256: fingerprint() });
    expect(added.body).not.toContain('BEGIN CERTIFICATE');

    const tested = await call('POST', '/admin/v1/providers/pve1/test');
    expect(json(tested)).toMatchObject({ name: 'pve1', ok: true, failure: null });

    // The CLI's way, from a file: the same settings.
    const file = dir.file('ca.pem');
    writeFileSync(file, tls.caPem);
    await service.container.machines.registerProvider(
      'pve2',
      'proxmox',
      { url: pve.url, token: `${TOKEN_ID}=${SECRET}`, caFile: file },
      TEST_ACTOR,
    );
    const viaApi = await service.store.providers.get('pve1');
    const viaCli = await service.store.providers.get('pve2');
    expect(viaApi?.settings).toEqual(viaCli?.settings);
    expect(viaApi?.settings.caPem).toBe(tls.caPem.trim() + '\n');
    // Listings show the fingerprint, not the PEM (a CA certificate is public, but long).
    const listed = await call('GET', '/admin/v1/providers/pve1');
    expect(json(listed).settings).toEqual({ url: pve.url, caFingerprint256: fingerprint() });
    // The operator log records both alike, with the admin token as the actor of the first.
    const [cli, api] = await service.store.operatorLog.list(2);
    expect(api).toMatchObject({ actor: `admin:${admin.id}`, event: 'provider.add' });
    expect(api?.detail).toEqual(cli?.detail);
  });

  it('takes ca_pem on PATCH: it replaces the stored CA and says so', async () => {
    const insecure = await call('PATCH', '/admin/v1/providers/pve1', { insecure_tls: true });
    expect(json(insecure)).toMatchObject({
      settings: { url: pve.url, insecureTls: true },
      changed: ['caFingerprint256', 'insecureTls'],
    });
    const updated = await call('PATCH', '/admin/v1/providers/pve1', { ca_pem: tls.caPem });
    expect(updated.statusCode).toBe(200);
    expect(json(updated)).toMatchObject({
      settings: { url: pve.url, caFingerprint256: fingerprint() },
      changed: ['caFingerprint256', 'insecureTls'],
    });
    expect((await service.store.providers.get('pve1'))?.settings.caPem).toBe(
      tls.caPem.trim() + '\n',
    );
  });

  it('drops anything but certificates, such as a private key', async () => {
    const updated = await call('PATCH', '/admin/v1/providers/pve2', {
      ca_pem: `${tls.server.key}\n${tls.caPem}`,
    });
    expect(updated.statusCode).toBe(200);
    const stored = await service.store.providers.get('pve2');
    expect(stored?.settings.caPem).toBe(tls.caPem.trim() + '\n');
    expect(JSON.stringify(stored?.settings)).not.toContain('PRIVATE KEY');
  });

  it('refuses PEM text without a certificate, a broken certificate, or a CA with insecure_tls', async () => {
    const base = { name: 'pve3', type: 'proxmox', url: pve.url, token: `${TOKEN_ID}=${SECRET}` };
    expectError(
      await call('POST', '/admin/v1/providers', { ...base, ca_pem: tls.server.key }),
      422,
      'refused',
      'the CA certificate holds no PEM certificate (BEGIN CERTIFICATE)',
    );
    expectError(
      await call('POST', '/admin/v1/providers', {
        ...base,
        ca_pem:
          '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
      }),
      422,
      'refused',
      'the CA certificate holds a certificate that cannot be parsed',
    );
    expectError(
      await call('POST', '/admin/v1/providers', { ...base, ca_pem: tls.caPem, insecure_tls: true }),
      422,
      'refused',
      'a CA certificate and insecure TLS exclude each other: the CA keeps certificate checks on with your CA, insecure TLS turns them off',
    );
    expectError(
      await call('POST', '/admin/v1/providers', { ...base, ca_pem: 42 }),
      400,
      'invalid_request',
      'Field "ca_pem" must be a non-empty string',
    );
    expectError(
      await call('PATCH', '/admin/v1/providers/pve1', { ca_pem: tls.caPem, system_ca: true }),
      422,
      'refused',
      '--system-ca excludes --ca-file and --insecure-tls',
    );
    expectError(
      await call('POST', '/admin/v1/providers', {
        name: 'sim9',
        type: 'simulator',
        ca_pem: tls.caPem,
      }),
      422,
      'refused',
      'a CA certificate is not used by simulator providers',
    );
    expect(await service.store.providers.get('pve3')).toBeUndefined();
  });
});
