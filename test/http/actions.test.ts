import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { bearer } from '../helpers/expect-http.js';
import { startWithCustomers, TEST_ACTOR, type TestService } from '../helpers/test-service.js';

const VPS = '/v1/hosting/cloud/vps-custom';
const GAME = '/v1/hosting/game/power';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const VPS_DENIED =
  '{"success":false,"error":"unauthorized","message":"You do not have access to this VPS"}';
const GAME_DENIED =
  '{"success":false,"error":"forbidden","message":"You do not have access to this game server"}';

describe.each(BACKENDS)('following actions on $name', (backend) => {
  let service: TestService;
  let power: string;
  let read: string;

  beforeAll(async () => {
    service = await startWithCustomers({ backend, config: { rateLimitPerMinute: 1_000 } });
    power = (await service.createKey('cus_a')).key;
    read = (await service.createKey('cus_a', { scope: 'read' })).key;
  });
  afterAll(() => service.close());

  const get = (url: string, key = read) =>
    service.inject({ method: 'GET', url, headers: bearer(key) });
  const post = (url: string, key = power) =>
    service.inject({ method: 'POST', url, headers: bearer(key) });

  it('gives every accepted action a handle in Location, and the published body unchanged', async () => {
    const res = await post(`${GAME}/srv_123/restart`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(
      '{"success":true,"action":"restart","server_id":"srv_123","status":"requested","message":"Restart action sent"}',
    );
    const location = String(res.headers.location);
    expect(location).toMatch(/^\/v1\/hosting\/game\/power\/srv_123\/actions\/act_[A-Za-z0-9]{20}$/);
    const action = await get(location);
    expect(action.statusCode).toBe(200);
    const body = JSON.parse(action.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      'success',
      'action_id',
      'action',
      'server_id',
      'status',
      'requested_at',
      'finished_at',
      'error',
    ]);
    expect(body).toMatchObject({
      success: true,
      action_id: location.split('/').at(-1),
      action: 'restart',
      server_id: 'srv_123',
      status: 'requested',
      finished_at: null,
      error: null,
    });
    expect(body.requested_at).toMatch(ISO);
    // Recorded with its audit row, in the same commit.
    const [row] = await service.store.audit.list({ limit: 1 });
    expect(row).toMatchObject({ status: 200, resourceId: 'srv_123', action: 'restart' });
  });

  it('lists a machine’s actions newest first, page by page, for read and power keys', async () => {
    await service.addVps('vps_pages', 'cus_a');
    const handles: string[] = [];
    for (const action of ['start', 'stop', 'start']) {
      const res = await post(`${VPS}/vps_pages/${action}`);
      handles.push(String(res.headers.location).split('/').at(-1) ?? '');
    }
    const first = await get(`${VPS}/vps_pages/actions?limit=2`);
    expect(first.statusCode).toBe(200);
    const page1 = JSON.parse(first.body) as {
      actions: { action_id: string; vps_id: string; action: string }[];
      next_cursor: string | null;
    };
    expect(Object.keys(page1)).toEqual(['success', 'actions', 'next_cursor']);
    expect(page1.actions.map((a) => [a.action_id, a.action, a.vps_id])).toEqual([
      [handles[2], 'start', 'vps_pages'],
      [handles[1], 'stop', 'vps_pages'],
    ]);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const second = await get(
      `${VPS}/vps_pages/actions?limit=2&cursor=${encodeURIComponent(page1.next_cursor ?? '')}`,
      power,
    );
    const page2 = JSON.parse(second.body) as typeof page1;
    expect(page2.actions.map((a) => a.action_id)).toEqual([handles[0]]);
    expect(page2.next_cursor).toBeNull();
  });

  it('refuses bad pages clearly', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'limit=1.5']) {
      const res = await get(`${VPS}/vps_123/actions?${query}`);
      expect(res.statusCode).toBe(400);
      expect(res.body).toBe(
        '{"success":false,"error":"invalid_request","message":"limit must be a whole number from 1 to 100"}',
      );
    }
    const res = await get(`${VPS}/vps_123/actions?cursor=not-a-cursor`);
    expect(res.statusCode).toBe(400);
    expect(res.body).toBe(
      '{"success":false,"error":"invalid_request","message":"cursor is not one this API gave out; start again without it"}',
    );
  });

  it('answers 404 for an action the machine does not have, and the same 403 for others’ machines', async () => {
    const missing = await get(`${VPS}/vps_123/actions/act_00000000000000000000`);
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toBe('{"success":false,"error":"not_found","message":"Action not found"}');
    // Another machine's action, through this machine: not found either.
    const other = await post(`${GAME}/srv_123/start`);
    const foreignId = String(other.headers.location).split('/').at(-1) ?? '';
    expect((await get(`${VPS}/vps_123/actions/${foreignId}`)).statusCode).toBe(404);
    // Another customer's machine and an unknown one: the family's 403, byte for byte.
    for (const url of [
      `${VPS}/vps_456/actions`,
      `${VPS}/vps_nope/actions`,
      `${VPS}/vps_456/actions/${foreignId}`,
    ]) {
      const res = await get(url);
      expect([res.statusCode, res.body]).toEqual([403, VPS_DENIED]);
    }
    const game = await get(`${GAME}/srv_456/actions`);
    expect([game.statusCode, game.body]).toEqual([403, GAME_DENIED]);
    const unauthenticated = await service.inject({ method: 'GET', url: `${VPS}/vps_123/actions` });
    expect(unauthenticated.statusCode).toBe(401);
  });

  it('shows a moved machine’s new customer only what happened since it came to them', async () => {
    await service.addVps('vps_moving', 'cus_a');
    const before = await post(`${VPS}/vps_moving/start`);
    expect(before.statusCode).toBe(200);
    await service.container.machines.moveResource('vps', 'vps_moving', 'cus_c', {}, TEST_ACTOR);
    const newOwner = (await service.createKey('cus_c', { scope: 'read' })).key;
    const listed = JSON.parse((await get(`${VPS}/vps_moving/actions`, newOwner)).body) as {
      actions: unknown[];
    };
    expect(listed.actions).toEqual([]);
    expect((await get(String(before.headers.location), newOwner)).statusCode).toBe(404);
    // The old owner's keys no longer reach it at all.
    expect((await get(`${VPS}/vps_moving/actions`)).statusCode).toBe(403);
  });

  it('reads a machine’s power state from its back-end, with its newest action', async () => {
    const started = await post(`${VPS}/vps_123/start`);
    const res = await get(`${VPS}/vps_123/status`);
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['success', 'vps_id', 'state', 'checked_at', 'last_action']);
    expect(['running', 'starting']).toContain(body.state);
    expect(body.checked_at).toMatch(ISO);
    expect(body.last_action).toMatchObject({
      action_id: String(started.headers.location).split('/').at(-1),
      action: 'start',
    });
    // Another customer's machine: the family's 403; a back-end that cannot tell: 502.
    expect((await get(`${VPS}/vps_456/status`)).body).toBe(VPS_DENIED);
    await service.addVps('vps_unreadable', 'cus_a', 'sim', 'fail-state');
    const failed = await get(`${VPS}/vps_unreadable/status`);
    expect([failed.statusCode, failed.body]).toEqual([
      502,
      '{"success":false,"error":"provider_error","message":"Failed to read state"}',
    ]);
  });

  it('lists the machines a key reaches, sorted by id, with pages', async () => {
    const customer = `cus_list_${backend.name.length}`;
    for (const id of ['vps_c', 'vps_a', 'vps_b']) await service.addVps(id, customer);
    await service.addGame('srv_z', customer);
    const all = (await service.createKey(customer, { scope: 'read' })).key;
    const listed = await get(VPS, all);
    expect(listed.statusCode).toBe(200);
    expect(listed.body).toBe(
      '{"success":true,"vps":[{"vps_id":"vps_a"},{"vps_id":"vps_b"},{"vps_id":"vps_c"}],"next_cursor":null}',
    );
    expect((await get(GAME, all)).body).toBe(
      '{"success":true,"servers":[{"server_id":"srv_z"}],"next_cursor":null}',
    );
    const first = JSON.parse((await get(`${VPS}?limit=2`, all)).body) as {
      next_cursor: string;
    };
    expect((await get(`${VPS}?limit=2&cursor=${first.next_cursor}`, all)).body).toBe(
      '{"success":true,"vps":[{"vps_id":"vps_c"}],"next_cursor":null}',
    );
    const scoped = (
      await service.createKey(customer, {
        scope: 'read',
        resources: [{ type: 'vps', id: 'vps_b' }],
      })
    ).key;
    expect((await get(VPS, scoped)).body).toBe(
      '{"success":true,"vps":[{"vps_id":"vps_b"}],"next_cursor":null}',
    );
  });
});

describe('reads have a limit of their own', () => {
  it('a key polling its actions never uses up its power actions, and the other way round', async () => {
    const service = await startWithCustomers({
      config: { rateLimitPerMinute: 2, readRateLimitPerMinute: 3 },
    });
    try {
      const { key } = await service.createKey('cus_a');
      const read = () =>
        service.inject({ method: 'GET', url: `${VPS}/vps_123/actions`, headers: bearer(key) });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await read()).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await read();
      expect(limited.headers['ratelimit-limit']).toBe('3');
      expect(limited.headers['retry-after']).toEqual(expect.any(String));
      const power = await service.inject({
        method: 'POST',
        url: `${VPS}/vps_123/start`,
        headers: bearer(key),
      });
      expect(power.statusCode).toBe(200);
      expect(power.headers['ratelimit-limit']).toBe('2');
    } finally {
      await service.close();
    }
  });
});
