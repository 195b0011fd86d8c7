import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWithCustomers, type TestService } from '../../../test/helpers/test-service.js';
import { createHeoClient, HeoApiError, type HeoClient } from '../src/index.js';

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
