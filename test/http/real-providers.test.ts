import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretKey } from '../../src/secrets/secret-key.js';
import type { AuditRecord } from '../../src/store/store.js';
import { bearer, expectProviderError } from '../helpers/expect-http.js';

import { FakeProxmox } from '../helpers/fake-proxmox.js';
import { FakePterodactyl } from '../helpers/fake-pterodactyl.js';
import { captureLogs } from '../helpers/log-capture.js';
import { BACKENDS, SQLITE } from '../helpers/backends.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';
import { TestService } from '../helpers/test-service.js';
import { testTls } from '../helpers/tls.js';
import { PANEL_KEY, PVE_SECRET, PVE_TOKEN_ID } from '../providers/worlds.js';

const VPS = '/v1/hosting/cloud/vps-custom';
const GAME = '/v1/hosting/game/power';
const SERVER_UUID = '1a7ce997-259b-452e-8b4e-cecc464142ca';
const UPID = /^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:[a-z]+:\d+:heo@pve!power:$/;

/**
 * The real service with providers registered as an operator does (options checked, tokens
 * sealed), driving the fake Proxmox VE and the fake panel over HTTPS with a private CA.
 */
describe.each(BACKENDS)('on $name', (backend) => {
  describe('power requests end to end, through Proxmox VE and a Pterodactyl panel', () => {
    // The embedded default makes its own key file; a shared database must be given a key.
    const secretKey = backend === SQLITE ? null : SecretKey.fromBytes(randomBytes(32));
    let dir: TempDir;
    let pve: FakeProxmox;
    let panel: FakePterodactyl;
    let service: TestService;
    let key: string;
    const logs = captureLogs('trace');

    const post = (url: string) => service.inject({ method: 'POST', url, headers: bearer(key) });
    const lastAudit = async (): Promise<AuditRecord> => {
      await service.container.audit.flush();
      const [record] = await service.store.audit.list({ limit: 1 });
      if (record === undefined) throw new Error('no audit record');
      return record;
    };
    const ok = (family: 'vps' | 'game', action: string, id: string) =>
      JSON.stringify({
        success: true,
        action,
        [family === 'vps' ? 'vps_id' : 'server_id']: id,
        status: 'requested',
        message: `${action[0]?.toUpperCase() ?? ''}${action.slice(1)} action sent`,
      });

    beforeAll(async () => {
      const tls = await testTls();
      pve = await FakeProxmox.start(tls.server);
      pve.addToken(PVE_TOKEN_ID, PVE_SECRET);
      panel = await FakePterodactyl.start(tls.server);
      panel.addKey(PANEL_KEY, { username: 'heo-admin', admin: true });
      service = await TestService.start({
        backend,
        config: { providerTimeoutMs: 1_500, logLevel: 'trace', secretKey },
        logger: logs.logger,
      });
      dir = tempDir();
      const caFile = dir.file('ca.pem');
      writeFileSync(caFile, tls.caPem);
      await service.registerProvider('pve', 'proxmox', {
        url: pve.url,
        token: `${PVE_TOKEN_ID}=${PVE_SECRET}`,
        caFile,
      });
      await service.registerProvider('panel', 'pterodactyl', {
        url: panel.url,
        token: PANEL_KEY,
        caFile,
      });
      await service.addVps('vps_q', 'cus_a', 'pve', 'pve1/qemu/100');
      await service.addVps('vps_c', 'cus_a', 'pve', 'pve1/lxc/101');
      await service.addGame('srv_g', 'cus_a', 'panel', '1a7ce997');
      key = (await service.createKey('cus_a')).key;
    });
    afterAll(async () => {
      await service.close();
      await pve.close();
      await panel.close();
      dir.remove();
    });
    beforeEach(() => {
      pve.upstream.clear();
      panel.upstream.clear();
      pve.intercept = undefined;
      panel.intercept = undefined;
      pve.guests.length = 0;
      pve.addGuest('pve1', 'qemu', 100, 'stopped');
      pve.addGuest('pve1', 'lxc', 101, 'stopped');
      panel.servers.length = 0;
      panel.addServer(SERVER_UUID, 'player', 'offline');
    });

    it.each(['qemu', 'lxc'] as const)(
      'every VPS action on a %s guest reaches Proxmox as the mapping says',
      async (type) => {
        const id = type === 'qemu' ? 'vps_q' : 'vps_c';
        const vmid = type === 'qemu' ? 100 : 101;
        for (const [action, query] of [
          ['start', ''],
          ['stop', ''],
          ['start', ''],
          ['reset', '?force=true'],
        ] as const) {
          const res = await post(`${VPS}/${id}/${action}${query}`);
          expect({ action, status: res.statusCode, body: res.body }).toEqual({
            action,
            status: 200,
            body: ok('vps', action, id),
          });
          const audit = await lastAudit();
          expect(audit).toMatchObject({
            resourceId: id,
            action,
            status: 200,
            provider: 'pve',
            upstreamStatus: 200,
          });
          expect(audit.taskRef).toMatch(UPID);
        }
        const base = `/api2/json/nodes/pve1/${type}/${vmid}/status`;
        expect(pve.powerPosts()).toEqual([
          `POST ${base}/start `,
          `POST ${base}/shutdown forceStop=1`,
          `POST ${base}/start `,
          ...(type === 'qemu'
            ? [`POST ${base}/reset `]
            : [`POST ${base}/stop `, `POST ${base}/start `]),
        ]);
        expect(pve.guest('pve1', type, vmid)?.status).toBe('running');
      },
    );

    it('every game action reaches the panel as its power signal', async () => {
      for (const [action, query] of [
        ['start', ''],
        ['stop', ''],
        ['restart', ''],
        ['kill', '?force=true'],
      ] as const) {
        const res = await post(`${GAME}/srv_g/${action}${query}`);
        expect({ status: res.statusCode, body: res.body }).toEqual({
          status: 200,
          body: ok('game', action, 'srv_g'),
        });
        expect(await lastAudit()).toMatchObject({
          resourceId: 'srv_g',
          action,
          status: 200,
          provider: 'panel',
          upstreamStatus: 204,
          upstreamDetail: null,
          taskRef: null,
        });
      }
      expect(panel.powerPosts()).toEqual(
        ['start', 'stop', 'restart', 'kill'].map(
          (signal) => `POST /api/client/servers/1a7ce997/power {"signal":"${signal}"}`,
        ),
      );
    });

    it('answers 200 to a container already running, and the audit says so', async () => {
      const guest = pve.guest('pve1', 'lxc', 101);
      if (guest) guest.status = 'running';
      const res = await post(`${VPS}/vps_c/start`);
      expect(res.body).toBe(ok('vps', 'start', 'vps_c'));
      expect(await lastAudit()).toMatchObject({
        status: 200,
        upstreamStatus: 500,
        upstreamDetail: 'already in the requested state: CT 101 already running',
        taskRef: null,
      });
    });

    it('answers 502 provider_error when Proxmox refuses, and audits the redacted detail', async () => {
      pve.intercept = () => ({
        status: 500,
        reason: 'unable to connect',
        body: JSON.stringify({
          data: null,
          message: `proxy failure for PVEAPIToken=${PVE_TOKEN_ID}=${PVE_SECRET}\n`,
        }),
      });
      expectProviderError(await post(`${VPS}/vps_q/start`), 'provider_rejected');
      const audit = await lastAudit();
      expect(audit).toMatchObject({
        status: 502,
        error: 'provider_error',
        provider: 'pve',
        upstreamStatus: 500,
        upstreamDetail: 'upstream_error: start: 500 proxy failure for PVEAPIToken=[redacted]',
        taskRef: null,
      });
      expect(JSON.stringify(audit)).not.toContain(PVE_SECRET);
    });

    it('answers 502 to a reset of a stopped VM, as Proxmox refuses it', async () => {
      expectProviderError(await post(`${VPS}/vps_q/reset?force=true`), 'machine_not_running');
      expect(await lastAudit()).toMatchObject({
        upstreamStatus: 500,
        upstreamDetail: 'not_running: reset: 500 VM 100 not running',
      });
    });

    it('answers 502 when the panel refuses a suspended server', async () => {
      const [server] = panel.servers;
      if (server) server.status = 'suspended';
      expectProviderError(await post(`${GAME}/srv_g/start`), 'machine_suspended');
      expect(await lastAudit()).toMatchObject({
        status: 502,
        provider: 'panel',
        upstreamStatus: 409,
        upstreamDetail:
          'suspended: start: 409 ServerStateConflictException: This server is currently suspended and the functionality requested is unavailable.',
      });
    });

    it('answers 502 when the provider does not answer in time, having sent the action once', async () => {
      panel.intercept = () => 'hang';
      expectProviderError(await post(`${GAME}/srv_g/restart`), 'provider_timeout');
      expect(await lastAudit()).toMatchObject({
        status: 502,
        upstreamStatus: null,
        upstreamDetail: `timeout: restart: no answer from 127.0.0.1:${panel.upstream.port} within 1500 ms`,
      });
      expect(panel.powerPosts()).toHaveLength(1);
    });

    it('uses a replaced token from the next request on', async () => {
      const actor = { name: 'test' };
      await service.container.machines.replaceCredential(
        'pve',
        `${PVE_TOKEN_ID}=00000000-0000-4000-8000-000000000000`,
        actor,
      );
      expectProviderError(await post(`${VPS}/vps_q/start`), 'provider_rejected');
      expect(await lastAudit()).toMatchObject({
        upstreamStatus: 401,
        upstreamDetail:
          'auth: start: 401 Authentication failed!: the API token was not accepted (wrong, deleted or expired)',
      });
      await service.container.machines.replaceCredential(
        'pve',
        `${PVE_TOKEN_ID}=${PVE_SECRET}`,
        actor,
      );
      expect((await post(`${VPS}/vps_q/start`)).statusCode).toBe(200);
      expect(pve.requests.map((r) => r.headers.authorization)).toEqual([
        `PVEAPIToken=${PVE_TOKEN_ID}=00000000-0000-4000-8000-000000000000`,
        `PVEAPIToken=${PVE_TOKEN_ID}=${PVE_SECRET}`,
      ]);
    });

    it('answers 502 when the credential cannot be opened with the current secret key', async () => {
      const other = await TestService.start({
        backend,
        config: {
          databaseUrl: service.container.config.databaseUrl,
          secretKey: SecretKey.fromBytes(randomBytes(32)),
        },
      });
      try {
        const res = await other.inject({
          method: 'POST',
          url: `${VPS}/vps_q/start`,
          headers: bearer(key),
        });
        expectProviderError(res, 'provider_unreachable');
        await other.container.audit.flush();
        const [audit] = await other.store.audit.list({ limit: 1 });
        expect(audit?.upstreamDetail).toMatch(
          /^credential unavailable: the credential of provider "pve" was sealed with secret key [0-9a-f]{8}, but the current key is [0-9a-f]{8}/,
        );
        expect(pve.requests).toEqual([]);
      } finally {
        await other.close();
      }
    });

    it('never logs a token, while the refusals above were logged with their detail', () => {
      const text = logs.text();
      expect(text).toContain('provider did not accept the action');
      expect(text).toContain('PVEAPIToken=[redacted]');
      for (const secret of [PVE_SECRET, PANEL_KEY, PANEL_KEY.slice(16)])
        expect(text).not.toContain(secret);
    });
  });

  describe('provider tokens on a shared database', () => {
    it.skipIf(backend === SQLITE)('need HEO_SECRET_KEY, and say so', async () => {
      const service = await TestService.start({ backend, config: { secretKey: null } });
      try {
        await expect(
          service.registerProvider('panel', 'pterodactyl', {
            url: 'https://panel.example.net',
            token: PANEL_KEY,
          }),
        ).rejects.toThrow(
          'HEO_SECRET_KEY is not set: a shared database needs it to seal and open provider credentials (give every instance and the CLI the same key)',
        );
        expect(await service.store.providers.list()).toEqual([]);
      } finally {
        await service.close();
      }
    });
  });
});
