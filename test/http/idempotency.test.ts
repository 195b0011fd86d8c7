import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretKey } from '../../src/secrets/secret-key.js';
import type { AuditRecord } from '../../src/store/store.js';
import { BACKENDS, SQLITE } from '../helpers/backends.js';
import { bearer, errorBody, expectError } from '../helpers/expect-http.js';
import type { RecordedRequest } from '../helpers/fake-upstream.js';
import { FakeProxmox } from '../helpers/fake-proxmox.js';
import { FakePterodactyl } from '../helpers/fake-pterodactyl.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';
import { TestService } from '../helpers/test-service.js';
import { testTls } from '../helpers/tls.js';
import { PANEL_KEY, PVE_SECRET, PVE_TOKEN_ID } from '../providers/worlds.js';

const VPS = '/v1/hosting/cloud/vps-custom';
const GAME = '/v1/hosting/game/power';
const SERVER_UUID = '1a7ce997-259b-452e-8b4e-cecc464142ca';
const START_OK =
  '{"success":true,"action":"start","vps_id":"vps_q","status":"requested","message":"Start action sent"}';
const IN_USE = ['idempotency_key_in_use', 'A request with this Idempotency-Key is in progress'];
const REUSED = ['idempotency_key_reused', 'This Idempotency-Key was used for a different request'];
const SHAPE =
  'Idempotency-Key must be a quoted string ("…") or a token of printable ASCII characters, sent once';
const LENGTH = 'Idempotency-Key must be 1 to 255 characters long';

/** A unique key per test, so that tests sharing a service never meet each other's keys. */
let counter = 0;
const freshKey = (): string => `"key-${Date.now()}-${(counter += 1)}"`;

describe.each(BACKENDS)('Idempotency-Key on $name', (backend) => {
  const secretKey = backend === SQLITE ? null : SecretKey.fromBytes(randomBytes(32));
  let dir: TempDir;
  let pve: FakeProxmox;
  let panel: FakePterodactyl;
  let service: TestService;
  let sibling: TestService;
  let key: string;
  let otherKey: string;
  let readKey: string;

  /** Holds each power POST at the fake for `holdMs` before its real answer. */
  const hold = (holdMs: number): void => {
    let inner = false;
    pve.intercept = (request: RecordedRequest) => {
      if (inner || request.method !== 'POST') return undefined;
      inner = true;
      try {
        const answer = pve.answer(request);
        return typeof answer === 'string' ? answer : { ...answer, delayMs: holdMs };
      } finally {
        inner = false;
      }
    };
  };

  const post = (
    url: string,
    idempotencyKey: string | undefined,
    options: { key?: string; via?: TestService; payload?: string } = {},
  ): Promise<LightMyRequestResponse> =>
    (options.via ?? service).inject({
      method: 'POST',
      url,
      headers: {
        ...bearer(options.key ?? key),
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
        ...(options.payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.payload === undefined ? {} : { payload: options.payload }),
    });

  const auditOf = async (requestId: string): Promise<AuditRecord | undefined> => {
    await service.container.audit.flush();
    await sibling.container.audit.flush();
    const [record] = await service.store.audit.list({ requestId, limit: 1 });
    return record;
  };

  beforeAll(async () => {
    const tls = await testTls();
    pve = await FakeProxmox.start(tls.server);
    pve.addToken(PVE_TOKEN_ID, PVE_SECRET);
    panel = await FakePterodactyl.start(tls.server);
    panel.addKey(PANEL_KEY, { username: 'heo-admin', admin: true });
    service = await TestService.start({
      backend,
      config: { providerTimeoutMs: 2_000, secretKey, rateLimitPerMinute: 100_000 },
    });
    sibling = await service.sibling();
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
    await service.addGame('srv_g', 'cus_a', 'panel', '1a7ce997');
    key = (await service.createKey('cus_a')).key;
    otherKey = (await service.createKey('cus_a')).key;
    readKey = (await service.createKey('cus_a', { scope: 'read' })).key;
  });
  afterAll(async () => {
    await sibling.close();
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
    panel.servers.length = 0;
    panel.addServer(SERVER_UUID, 'player', 'offline');
  });

  it('replays the first reply, Location included, without a second back-end call', async () => {
    const idem = freshKey();
    const first = await post(`${VPS}/vps_q/start`, idem);
    expect(first.statusCode).toBe(200);
    expect(first.body).toBe(START_OK);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const location = String(first.headers.location);
    expect(location).toMatch(/^\/v1\/hosting\/cloud\/vps-custom\/vps_q\/actions\/act_/);

    for (const via of [service, sibling]) {
      const again = await post(`${VPS}/vps_q/start`, idem, { via });
      expect(again.statusCode).toBe(200);
      expect(again.body).toBe(START_OK);
      expect(again.headers.location).toBe(location);
      expect(again.headers['idempotent-replayed']).toBe('true');
    }
    expect(pve.powerPosts()).toHaveLength(1);

    // The replay is in the audit log, marked as one, pointing at the first request.
    const firstId = String(first.headers['x-request-id']);
    const replay = await post(`${VPS}/vps_q/start`, idem);
    const row = await auditOf(String(replay.headers['x-request-id']));
    expect(row).toMatchObject({ status: 200, replayOf: firstId });
    expect((await auditOf(firstId))?.replayOf).toBeNull();
  });

  it('accepts a bare token and a quoted string with escapes as the same key', async () => {
    const token = `tok-${Date.now()}`;
    const first = await post(`${VPS}/vps_q/start`, token);
    expect(first.statusCode).toBe(200);
    const quoted = await post(`${VPS}/vps_q/start`, `"${token}"`);
    expect(quoted.headers['idempotent-replayed']).toBe('true');
    const escaped = await post(`${VPS}/vps_q/start`, `"a\\"b\\\\c ${Date.now()}"`);
    expect(escaped.statusCode).toBe(200);
    expect(pve.powerPosts()).toHaveLength(2);
  });

  it('remembers a 502 once the back-end was called, and replays it', async () => {
    const idem = freshKey();
    pve.intercept = (request) =>
      request.method === 'POST'
        ? { status: 500, body: '{"data":null,"message":"VM is locked (backup)\\n"}' }
        : undefined;
    const first = await post(`${VPS}/vps_q/start`, idem);
    expect(first.statusCode).toBe(502);
    pve.intercept = undefined;
    const again = await post(`${VPS}/vps_q/start`, idem);
    expect({ status: again.statusCode, body: again.body }).toEqual({
      status: 502,
      body: first.body,
    });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.location).toBeUndefined();
    expect(pve.powerPosts()).toHaveLength(1);
  });

  it('answers 422 to the same key on a different request, and calls nothing', async () => {
    const idem = freshKey();
    expect((await post(`${VPS}/vps_q/start`, idem)).statusCode).toBe(200);
    const cases = [
      post(`${VPS}/vps_q/stop`, idem),
      post(`${VPS}/vps_q/start`, idem, { payload: '{"note":"other"}' }),
      post(`${GAME}/srv_g/start`, idem),
    ];
    for (const res of await Promise.all(cases)) {
      expectError(res, 422, REUSED[0] ?? '', REUSED[1] ?? '');
    }
    expect(pve.powerPosts()).toHaveLength(1);
    expect(panel.powerPosts()).toHaveLength(0);
    // A body that parses alike is the same request.
    const a = freshKey();
    expect((await post(`${VPS}/vps_q/start`, a, { payload: '{"a":1,"b":2}' })).statusCode).toBe(
      200,
    );
    const same = await post(`${VPS}/vps_q/start`, a, { payload: '{ "b": 2, "a": 1 }' });
    expect(same.headers['idempotent-replayed']).toBe('true');
  });

  it('scopes keys to the API key that sent them', async () => {
    const idem = freshKey();
    expect((await post(`${VPS}/vps_q/start`, idem)).statusCode).toBe(200);
    const other = await post(`${VPS}/vps_q/start`, idem, { key: otherKey });
    expect(other.statusCode).toBe(200);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(pve.powerPosts()).toHaveLength(2);
  });

  it.each([
    ['an empty string', '""', LENGTH],
    ['256 characters', `"${'k'.repeat(256)}"`, LENGTH],
    ['a non-ASCII character', '"clé"', SHAPE],
    ['an unterminated string', '"abc', SHAPE],
    ['a bad escape', '"a\\nb"', SHAPE],
    ['a string with parameters', '"abc";x=1', SHAPE],
    ['two keys', '"a", "b"', SHAPE],
    ['a list of tokens', 'a b', SHAPE],
  ])(
    'refuses %s with 400 and says what is wrong, calling nothing',
    async (_name, value, message) => {
      const res = await post(`${VPS}/vps_q/start`, value);
      expectError(res, 400, 'invalid_request', message);
      expect(pve.powerPosts()).toHaveLength(0);
    },
  );

  it('does not remember refusals: a corrected retry with the same key goes ahead', async () => {
    const idem = freshKey();
    // 403: a read key.
    const denied = await post(`${VPS}/vps_q/start`, idem, { key: readKey });
    expect(denied.statusCode).toBe(403);
    // 400: an unconfirmed reset, then the confirmed one with the same key.
    const unconfirmed = await post(`${VPS}/vps_q/reset`, idem);
    expect(unconfirmed.statusCode).toBe(400);
    const guest = pve.guest('pve1', 'qemu', 100);
    if (guest !== undefined) guest.status = 'running';
    const confirmed = await post(`${VPS}/vps_q/reset?force=true`, idem);
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.headers['idempotent-replayed']).toBeUndefined();
    expect(pve.powerPosts()).toHaveLength(1);
    // 401: a bad API key never reaches the key.
    const unauthenticated = await post(`${VPS}/vps_q/reset?force=true`, idem, { key: 'nope' });
    expect(unauthenticated.statusCode).toBe(401);
  });

  it('answers 409 with Retry-After while the first is in flight, and audits it', async () => {
    const idem = freshKey();
    hold(300);
    const first = post(`${VPS}/vps_q/start`, idem);
    // Bounded: the first request's claim is committed before its back-end call arrives.
    for (let i = 0; i < 200 && pve.powerPosts().length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const busy = await post(`${VPS}/vps_q/start`, idem, { via: sibling });
    expect({ status: busy.statusCode, body: busy.body }).toEqual({
      status: 409,
      body: errorBody(IN_USE[0] ?? '', IN_USE[1] ?? ''),
    });
    expect(busy.headers['retry-after']).toBe('1');
    expect((await first).statusCode).toBe(200);
    const row = await auditOf(String(busy.headers['x-request-id']));
    expect(row).toMatchObject({ status: 409, error: 'idempotency_key_in_use' });
    expect(pve.powerPosts()).toHaveLength(1);
  });

  it('gives 50 concurrent requests with one key over two instances one back-end call', async () => {
    const idem = freshKey();
    hold(200);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, n) =>
        post(`${VPS}/vps_q/start`, idem, { via: n % 2 === 0 ? service : sibling }),
      ),
    );
    expect(pve.powerPosts()).toHaveLength(1);
    const firsts = responses.filter(
      (r) => r.statusCode === 200 && r.headers['idempotent-replayed'] === undefined,
    );
    expect(firsts).toHaveLength(1);
    const rest = responses.filter((r) => !firsts.includes(r));
    for (const res of rest) {
      if (res.statusCode === 200) {
        expect(res.headers['idempotent-replayed']).toBe('true');
        expect(res.headers.location).toBe(firsts[0]?.headers.location);
        expect(res.body).toBe(START_OK);
      } else {
        expect({ status: res.statusCode, body: res.body }).toEqual({
          status: 409,
          body: errorBody(IN_USE[0] ?? '', IN_USE[1] ?? ''),
        });
      }
    }
    // Every retry after the first finished is a replay.
    const late = await post(`${VPS}/vps_q/start`, idem, { via: sibling });
    expect(late.headers['idempotent-replayed']).toBe('true');
    expect(pve.powerPosts()).toHaveLength(1);
  });

  it('works for the game family too', async () => {
    const idem = freshKey();
    const first = await post(`${GAME}/srv_g/kill?force=true`, idem);
    expect(first.statusCode).toBe(200);
    const again = await post(`${GAME}/srv_g/kill?force=true`, idem, { via: sibling });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.location).toBe(first.headers.location);
    expect(panel.powerPosts()).toHaveLength(1);
  });

  it('costs nothing without the header: no key is stored', async () => {
    const res = await post(`${VPS}/vps_q/start`, undefined);
    expect(res.statusCode).toBe(200);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const again = await post(`${VPS}/vps_q/start`, undefined);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(pve.powerPosts()).toHaveLength(2);
  });
});

describe.each(BACKENDS)('Idempotency-Key window on $name', (backend) => {
  it('forgets a key after HEO_IDEMPOTENCY_TTL, and prunes it', async () => {
    const service = await TestService.start({
      backend,
      config: { idempotencyTtlMs: 1_000, rateLimitPerMinute: 100_000 },
    });
    try {
      await service.addProvider('sim');
      await service.addVps('vps_1', 'cus_a');
      const { key } = await service.createKey('cus_a');
      const send = () =>
        service.inject({
          method: 'POST',
          url: `${VPS}/vps_1/start`,
          headers: { ...bearer(key), 'idempotency-key': '"window"' },
        });
      expect((await send()).headers['idempotent-replayed']).toBeUndefined();
      expect((await send()).headers['idempotent-replayed']).toBe('true');
      // Bounded wait for the window to pass (1 s).
      let fresh: LightMyRequestResponse | undefined;
      for (let i = 0; i < 40; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const res = await send();
        if (res.headers['idempotent-replayed'] === undefined) {
          fresh = res;
          break;
        }
      }
      expect(fresh?.statusCode).toBe(200);
      await service.container.audit.flush();
      // Pruning removes keys whose window has passed, and only those.
      const later = Date.now() + 5_000;
      expect(await service.store.idempotency.prune(Date.now() - 60_000, 10)).toBe(0);
      expect(await service.store.idempotency.prune(later, 10)).toBe(1);
    } finally {
      await service.close();
    }
  });
});
