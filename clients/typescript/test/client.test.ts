import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../../src/store/sqlite/open-sqlite.js';
import { startWithCustomers, type TestService } from '../../../test/helpers/test-service.js';
import {
  type ActionHandle,
  createHeoClient,
  HeoApiError,
  type HeoClient,
  HeoWaitTimeoutError,
} from '../src/index.js';

/** The rejection of `promise`, which must be a `HeoApiError`. */
const refusal = async (promise: Promise<unknown>): Promise<HeoApiError> => {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof HeoApiError))
    throw new Error(`expected a HeoApiError, got ${String(error)}`);
  return error;
};

/** The client against a real heo-power on loopback (embedded SQLite, the simulator provider). */
describe('heo-power-client', () => {
  let service: TestService;
  let limited: TestService;
  let baseUrl: string;
  let limitedUrl: string;
  let client: HeoClient;
  let readKey: string;

  beforeAll(async () => {
    service = await startWithCustomers({ config: { rateLimitPerMinute: 10_000 } });
    baseUrl = await service.fastify.listen({ host: '127.0.0.1', port: 0 });
    client = createHeoClient({ baseUrl, apiKey: (await service.createKey('cus_a')).key });
    readKey = (await service.createKey('cus_a', { scope: 'read' })).key;
    limited = await startWithCustomers({ config: { rateLimitPerMinute: 1 } });
    limitedUrl = await limited.fastify.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await Promise.all([service.close(), limited.close()]);
  });

  it('sends idempotencyKey as a quoted Idempotency-Key, and makes one per call for retries', async () => {
    const sent: (string | null)[] = [];
    let lose = 1;
    const flaky = createHeoClient({
      baseUrl,
      apiKey: (await service.createKey('cus_a')).key,
      fetch: async (input, init) => {
        sent.push(new Headers(init?.headers).get('idempotency-key'));
        const res = await fetch(input, init);
        // The first answer is lost on its way back: the action was taken all the same.
        if (lose-- > 0) throw new TypeError('fetch failed');
        return res;
      },
    });
    expect(await flaky.vps.stop('vps_123', { retries: 2 })).toMatchObject({ action: 'stop' });
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(sent[1]).toBe(sent[0]);
    await service.container.audit.flush();
    const [replay] = await service.store.audit.list({ limit: 1 });
    expect(replay?.replayOf).not.toBeNull();

    sent.length = 0;
    await flaky.vps.start('vps_123', { idempotencyKey: 'my "key"' });
    await flaky.vps.start('vps_123');
    expect(sent).toEqual(['"my \\"key\\""', null]);
  });

  it('sends every action and resolves to its body', async () => {
    expect(await client.vps.start('vps_123')).toEqual({
      success: true,
      action: 'start',
      vps_id: 'vps_123',
      status: 'requested',
      message: 'Start action sent',
    });
    expect((await client.vps.stop('vps_123')).message).toBe('Stop action sent');
    await client.vps.start('vps_123');
    expect((await client.vps.reset('vps_123', { force: true })).action).toBe('reset');
    expect(await client.gameServers.start('srv_123')).toEqual({
      success: true,
      action: 'start',
      server_id: 'srv_123',
      status: 'requested',
      message: 'Start action sent',
    });
    expect((await client.gameServers.restart('srv_123')).message).toBe('Restart action sent');
    expect((await client.gameServers.stop('srv_123')).action).toBe('stop');
    expect((await client.gameServers.kill('srv_123', { force: true })).action).toBe('kill');
  });

  it('rejects an unconfirmed reset or kill with confirmation_required', async () => {
    const reset = await refusal(client.vps.reset('vps_123', { requestId: 'client-test-1' }));
    const { name, status, code, message, requestId, retryAfter } = reset;
    expect({ name, status, code, message, requestId, retryAfter }).toEqual({
      name: 'HeoApiError',
      status: 400,
      code: 'confirmation_required',
      message: 'Reset requires force=true',
      requestId: 'client-test-1',
      retryAfter: undefined,
    });
    const kill = await refusal(client.gameServers.kill('srv_123'));
    expect([kill.status, kill.code, kill.message]).toEqual([
      400,
      'confirmation_required',
      'Kill requires force=true',
    ]);
    expect(kill.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects another customer\u2019s machines with 403, and a read key likewise', async () => {
    const vps = await refusal(client.vps.start('vps_456'));
    expect([vps.status, vps.code, vps.message]).toEqual([
      403,
      'unauthorized',
      'You do not have access to this VPS',
    ]);
    const game = await refusal(client.gameServers.stop('srv_456'));
    expect([game.status, game.code]).toEqual([403, 'forbidden']);
    const reader = createHeoClient({ baseUrl, apiKey: readKey });
    const scope = await refusal(reader.gameServers.start('srv_123'));
    expect([scope.status, scope.code, scope.message]).toEqual([
      403,
      'insufficient_scope',
      'This API key only has read scope',
    ]);
  });

  it('rejects a wrong key with 401', async () => {
    const stranger = createHeoClient({ baseUrl: `${baseUrl}/`, apiKey: 'heo_not-a-key' });
    const error = await refusal(stranger.vps.start('vps_123'));
    expect([error.status, error.code, error.message]).toEqual([
      401,
      'unauthorized',
      'Missing, invalid, or revoked API key',
    ]);
  });

  it('reports Retry-After of a 429 as retryAfter', async () => {
    const once = createHeoClient({
      baseUrl: limitedUrl,
      apiKey: (await limited.createKey('cus_a')).key,
    });
    await once.vps.start('vps_123');
    const error = await refusal(once.vps.start('vps_123'));
    expect([error.status, error.code, error.message]).toEqual([
      429,
      'rate_limited',
      'Too many requests',
    ]);
    expect(error.retryAfter).toBeGreaterThanOrEqual(1);
    expect(error.retryAfter).toBeLessThanOrEqual(60);
  });

  it('takes its base URL and key from HEO_API_URL and HEO_API_KEY, and says when both are missing', async () => {
    const saved = { url: process.env.HEO_API_URL, key: process.env.HEO_API_KEY };
    try {
      process.env.HEO_API_URL = baseUrl;
      process.env.HEO_API_KEY = (await service.createKey('cus_a')).key;
      expect((await createHeoClient().gameServers.start('srv_123')).server_id).toBe('srv_123');
      delete process.env.HEO_API_URL;
      expect(() => createHeoClient()).toThrow(
        'heo-power client: no base URL (pass baseUrl or set HEO_API_URL)',
      );
      delete process.env.HEO_API_KEY;
      expect(() => createHeoClient({ baseUrl })).toThrow(
        'heo-power client: no API key (pass apiKey or set HEO_API_KEY)',
      );
    } finally {
      for (const [name, value] of [
        ['HEO_API_URL', saved.url],
        ['HEO_API_KEY', saved.key],
      ] as const) {
        if (value === undefined) Reflect.deleteProperty(process.env, name);
        else process.env[name] = value;
      }
    }
  });

  it('reports an answer that is not the API\u2019s envelope as invalid_response', async () => {
    const proxy = createHeoClient({
      baseUrl,
      apiKey: 'heo_x',
      fetch: async () => new Response('<html>Bad Gateway</html>', { status: 502 }),
    });
    const error = await refusal(proxy.vps.start('vps_123'));
    expect([error.status, error.code]).toEqual([502, 'invalid_response']);
  });
});

/** The rejection of `promise`, whatever it is. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (caught: unknown) => caught,
  );

/** The reads, against a real heo-power; a test moves an action to its end in the store itself. */
describe('heo-power-client: following actions', () => {
  let service: TestService;
  let baseUrl: string;
  let client: HeoClient;
  let readKey: string;
  let db: BetterSqlite3.Database;

  beforeAll(async () => {
    service = await startWithCustomers({
      config: { rateLimitPerMinute: 10_000, readRateLimitPerMinute: 10_000 },
    });
    baseUrl = await service.fastify.listen({ host: '127.0.0.1', port: 0 });
    client = createHeoClient({ baseUrl, apiKey: (await service.createKey('cus_a')).key });
    readKey = (await service.createKey('cus_a', { scope: 'read' })).key;
    db = new BetterSqlite3((service.store as SqliteStore).location);
  });
  afterAll(async () => {
    db.close();
    await service.close();
  });

  /** What a follower does when an action ends: here done by the test, in the server's store. */
  const finish = (
    actionId: string,
    status: 'succeeded' | 'failed',
    error: string | null = null,
  ) => {
    db.prepare('UPDATE actions SET status = ?, error = ?, finished_at = ? WHERE id = ?').run(
      status,
      error,
      Date.now(),
      actionId,
    );
  };

  /** A client with a read key whose fetch hands each answer to a GET of an action to `after`. */
  const watched = (after: (res: Response, calls: number) => Response | Promise<Response>) => {
    let calls = 0;
    return createHeoClient({
      baseUrl,
      apiKey: readKey,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        const url = input instanceof Request ? input.url : input.toString();
        return /\/actions\/act_/.test(url) ? after(res, (calls += 1)) : res;
      },
    });
  };

  it('gives each power result the handle of its action, and leaves the body as it was sent', async () => {
    const started = await client.gameServers.start('srv_123');
    expect(JSON.stringify(started)).toBe(
      '{"success":true,"action":"start","server_id":"srv_123","status":"requested","message":"Start action sent"}',
    );
    expect(started.handle).toEqual({
      family: 'game',
      machineId: 'srv_123',
      actionId: expect.stringMatching(/^act_[A-Za-z0-9]{20}$/) as unknown,
    });
    const handle = started.handle as ActionHandle<'game'>;
    const action = await client.actions.get(handle);
    expect(action).toMatchObject({
      success: true,
      action_id: handle.actionId,
      action: 'start',
      server_id: 'srv_123',
      status: 'requested',
      finished_at: null,
      error: null,
    });
    expect(await client.gameServers.actions.get('srv_123', handle.actionId)).toEqual(action);
    expect((await client.vps.start('vps_123')).handle?.family).toBe('vps');
  });

  it('reads a machine’s state and its actions, newest first, a page at a time', async () => {
    await service.addVps('vps_client', 'cus_a');
    const ids: string[] = [];
    for (const act of ['start', 'stop', 'start'] as const) {
      ids.push((await client.vps[act]('vps_client')).handle?.actionId ?? '');
    }
    const status = await client.vps.status('vps_client');
    expect(status.vps_id).toBe('vps_client');
    expect(status.last_action?.action_id).toBe(ids[2]);
    const first = await client.vps.actions.list('vps_client', { limit: 2 });
    expect(first.actions.map((a) => a.action_id)).toEqual([ids[2], ids[1]]);
    const second = await client.vps.actions.list('vps_client', {
      limit: 2,
      cursor: first.next_cursor,
    });
    expect([second.actions.map((a) => a.action_id), second.next_cursor]).toEqual([[ids[0]], null]);
    const seen: string[][] = [];
    for await (const page of client.vps.actions.pages('vps_client', { limit: 1 })) {
      seen.push(page.actions.map((a) => a.action_id));
    }
    expect(seen).toEqual([[ids[2]], [ids[1]], [ids[0]]]);
    const bad = await refusal(client.vps.actions.list('vps_client', { limit: 101 }));
    expect([bad.status, bad.code]).toEqual([400, 'invalid_request']);
    const foreign = await refusal(client.gameServers.status('srv_456'));
    expect([foreign.status, foreign.code]).toEqual([403, 'forbidden']);
  });

  it('lists the machines the key reaches, page by page', async () => {
    for (const id of ['vps_l2', 'vps_l1', 'vps_l3']) await service.addVps(id, 'cus_list');
    await service.addGame('srv_l1', 'cus_list');
    const lister = createHeoClient({
      baseUrl,
      apiKey: (await service.createKey('cus_list', { scope: 'read' })).key,
    });
    expect(await lister.vps.list()).toEqual({
      success: true,
      vps: [{ vps_id: 'vps_l1' }, { vps_id: 'vps_l2' }, { vps_id: 'vps_l3' }],
      next_cursor: null,
    });
    expect((await lister.gameServers.list()).servers).toEqual([{ server_id: 'srv_l1' }]);
    const pages: string[][] = [];
    for await (const page of lister.vps.listPages({ limit: 2 })) {
      pages.push(page.vps.map((machine) => machine.vps_id));
    }
    expect(pages).toEqual([['vps_l1', 'vps_l2'], ['vps_l3']]);
  });

  it('waitFor polls until the action ends and resolves to it', async () => {
    const restarted = await client.gameServers.restart('srv_123');
    const actionId = restarted.handle?.actionId ?? '';
    const statuses: string[] = [];
    // The first poll sees it requested; then it ends, as a follower would end it.
    const waiter = watched(async (res, calls) => {
      const body = (await res.clone().json()) as { status: string };
      statuses.push(body.status);
      if (calls === 1) finish(actionId, 'failed', 'provider_timeout');
      return res;
    });
    const ended = await waiter.waitFor(restarted, { timeoutMs: 10_000, intervalMs: 10 });
    expect(ended).toMatchObject({
      action_id: actionId,
      server_id: 'srv_123',
      status: 'failed',
      error: 'provider_timeout',
    });
    expect(ended.finished_at).toEqual(expect.any(String));
    expect(statuses).toEqual(['requested', 'failed']);
  });

  it('waitFor rejects with HeoWaitTimeoutError when the action does not end in time', async () => {
    const started = await client.vps.stop('vps_123');
    const error = await rejection(
      client.waitFor(started, { timeoutMs: 200, intervalMs: 10, maxIntervalMs: 40 }),
    );
    expect(error).toBeInstanceOf(HeoWaitTimeoutError);
    const timeout = error as HeoWaitTimeoutError;
    expect([timeout.name, timeout.actionId, timeout.timeoutMs]).toEqual([
      'HeoWaitTimeoutError',
      started.handle?.actionId,
      200,
    ]);
    expect(timeout.lastSeen).toMatchObject({ status: 'requested', action: 'stop' });
  });

  it('waitFor waits out a 429’s Retry-After, and gives up when it is beyond its time', async () => {
    const started = await client.gameServers.stop('srv_123');
    finish(started.handle?.actionId ?? '', 'succeeded');
    const limited = (retryAfter: string) => {
      const seen: number[] = [];
      const waiter = watched((res, calls) => {
        const answer =
          calls === 1
            ? new Response(
                '{"success":false,"error":"rate_limited","message":"Too many requests"}',
                { status: 429, headers: { 'retry-after': retryAfter } },
              )
            : res;
        seen.push(answer.status);
        return answer;
      });
      return { waiter, seen };
    };
    const patient = limited('1');
    const done = await patient.waiter.waitFor(started, { timeoutMs: 10_000, intervalMs: 10 });
    expect([done.status, patient.seen]).toEqual(['succeeded', [429, 200]]);
    // Retry-After 30 s, 200 ms to wait: no second poll before the time is up.
    const hurried = limited('30');
    const error = await rejection(hurried.waiter.waitFor(started, { timeoutMs: 200 }));
    expect(error).toBeInstanceOf(HeoWaitTimeoutError);
    expect((error as HeoWaitTimeoutError).lastSeen).toBeUndefined();
    expect(hurried.seen).toEqual([429]);
  });

  it('waitFor rejects at once on another refusal, and with the reason of its signal', async () => {
    const missing = await refusal(
      client.waitFor(
        { family: 'vps', machineId: 'vps_123', actionId: 'act_00000000000000000000' },
        { timeoutMs: 10_000 },
      ),
    );
    expect([missing.status, missing.code]).toEqual([404, 'not_found']);
    const started = await client.vps.start('vps_123');
    const controller = new AbortController();
    const waiting = rejection(
      client.waitFor(started, { timeoutMs: 10_000, intervalMs: 10, signal: controller.signal }),
    );
    controller.abort(new Error('deploy cancelled'));
    expect(await waiting).toEqual(new Error('deploy cancelled'));
  });
});
