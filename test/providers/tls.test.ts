import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpSettings } from '../../src/providers/http/provider-http.js';
import { ProxmoxProvider } from '../../src/providers/proxmox/proxmox-provider.js';
import { FakeProxmox } from '../helpers/fake-proxmox.js';
import { type TestTls, testTls } from '../helpers/tls.js';
import { PVE_SECRET, PVE_TOKEN_ID, TEST_TIMEOUT_MS } from './worlds.js';

/** TLS is per provider: verification is on unless that provider says otherwise. */
describe('provider TLS settings', () => {
  let tls: TestTls;
  let trusted: FakeProxmox;
  let selfSigned: FakeProxmox;
  let wrongName: FakeProxmox;
  let plainHttp: Server;
  let plainPort: number;

  const probe = async (settings: Partial<HttpSettings> & { url: string }) => {
    const provider = new ProxmoxProvider({
      name: 'pve',
      http: { insecureTls: false, timeoutMs: TEST_TIMEOUT_MS, ...settings },
      token: { id: PVE_TOKEN_ID, secret: PVE_SECRET },
    });
    try {
      return await provider.probe();
    } finally {
      await provider.close();
    }
  };

  beforeAll(async () => {
    tls = await testTls();
    trusted = await FakeProxmox.start(tls.server);
    selfSigned = await FakeProxmox.start(tls.selfSigned);
    wrongName = await FakeProxmox.start(tls.wrongName);
    for (const fake of [trusted, selfSigned, wrongName]) fake.addToken(PVE_TOKEN_ID, PVE_SECRET);
    plainHttp = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => plainHttp.listen(0, '127.0.0.1', resolve));
    const address = plainHttp.address();
    plainPort = typeof address === 'object' && address !== null ? address.port : 0;
  });
  afterAll(async () => {
    await Promise.all([trusted.close(), selfSigned.close(), wrongName.close()]);
    plainHttp.closeAllConnections();
    await new Promise<void>((resolve) => plainHttp.close(() => resolve()));
  });

  it('verifies certificates by default: a private CA is not trusted without --ca-file', async () => {
    const result = await probe({ url: trusted.url });
    expect(result).toMatchObject({ ok: false, failure: 'tls' });
    expect(result.message).toBe(
      `cannot reach Proxmox VE at ${trusted.url}: TLS: the certificate of 127.0.0.1:${trusted.upstream.port} is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE, e.g. self-signed): give the CA that signed it with --ca-file, or use --insecure-tls`,
    );
    expect(trusted.requests).toEqual([]);
  });

  it('trusts the CA given with --ca-file', async () => {
    expect(await probe({ url: trusted.url, caPem: tls.caPem })).toMatchObject({ ok: true });
  });

  it('refuses a self-signed certificate unless --insecure-tls, for that provider only', async () => {
    const secure = await probe({ url: selfSigned.url });
    expect(secure).toMatchObject({ ok: false, failure: 'tls' });
    expect(secure.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(await probe({ url: selfSigned.url, insecureTls: true })).toMatchObject({ ok: true });
    // The insecure provider changed nothing for the others.
    expect(await probe({ url: selfSigned.url })).toMatchObject({ ok: false, failure: 'tls' });
  });

  it('refuses a certificate for another name, even from a trusted CA', async () => {
    const result = await probe({ url: wrongName.url, caPem: tls.caPem });
    expect(result).toMatchObject({ ok: false, failure: 'tls' });
    expect(result.message).toContain(
      'is not valid for the name "127.0.0.1" (hostname mismatch): use a name the certificate was issued for in --url',
    );
  });

  it('says when the port does not speak HTTPS', async () => {
    const result = await probe({ url: `https://127.0.0.1:${plainPort}` });
    expect(result).toMatchObject({ ok: false, failure: 'tls' });
    expect(result.message).toContain('does it speak HTTPS on that port?');
  });
});
