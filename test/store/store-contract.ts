import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreConflictError, StoreReferenceError } from '../../src/store/errors.js';
import { auditBatchId } from '../../src/store/audit-batch.js';
import type {
  IdempotencyClaim,
  NewApiKey,
  NewWebhookEndpoint,
  Store,
} from '../../src/store/store.js';
import { auditEntry } from '../helpers/audit-entries.js';
import { LATEST_VERSION } from '../../src/store/migrations/index.js';

export interface StoreHarness {
  readonly store: Store;
  /** A second, independent connection to the same database (another process, another instance). */
  openOther(): Promise<Store>;
  cleanup(): Promise<void>;
}

const actor = { name: 'contract' };
const provider = (name: string) => ({
  name,
  type: 'simulator' as const,
  settings: { transitionMs: 10 },
  secret: null,
  secretHint: null,
  createdAt: 1_000,
  updatedAt: 1_000,
});
const resource = (
  type: 'vps' | 'game',
  id: string,
  customerId = 'cus_a',
  providerName = 'sim',
) => ({
  type,
  id,
  customerId,
  provider: providerName,
  ref: `ref-${id}`,
  createdAt: 2_000,
  assignedAt: 2_000,
});
/** A key to store, its digest made from its id. */
export const key = (id: string, overrides: Partial<NewApiKey> = {}): NewApiKey => ({
  id,
  customerId: 'cus_a',
  name: null,
  scope: 'power',
  resources: null,
  allowedIps: null,
  hash: id.padEnd(64, '0').slice(0, 64),
  displayPrefix: 'heo_abcdefgh',
  createdAt: 3_000,
  expiresAt: null,
  ...overrides,
});
const entry = auditEntry;

/** The behaviour every `Store` implementation must show, run against each of them. */
export const describeStoreContract = (name: string, open: () => Promise<StoreHarness>): void => {
  describe(`store contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      harness = await open();
      store = harness.store;
      await store.migrate();
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    it('migrates once, in order, and reports its version', async () => {
      expect(await store.migrate()).toEqual([]);
      expect(await store.migrationStatus()).toEqual({
        current: LATEST_VERSION,
        latest: LATEST_VERSION,
        pending: [],
      });
      await store.ping();
    });

    it('keeps providers, refuses duplicates and removals while in use', async () => {
      await store.providers.add(provider('sim'), actor);
      await expect(store.providers.add(provider('sim'), actor)).rejects.toBeInstanceOf(
        StoreConflictError,
      );
      expect(await store.providers.get('sim')).toEqual(provider('sim'));
      expect(await store.providers.get('nope')).toBeUndefined();
      await store.resources.add(resource('vps', 'vps_1'), actor);
      await expect(store.providers.remove('sim', actor)).rejects.toBeInstanceOf(
        StoreReferenceError,
      );
      await store.providers.add(provider('spare'), actor);
      expect(await store.providers.remove('spare', actor)).toBe(true);
      expect(await store.providers.remove('spare', actor)).toBe(false);
      expect((await store.providers.list()).map((p) => p.name)).toEqual(['sim']);
    });

    it('replaces a provider credential, with an operator event that holds only the hint', async () => {
      await store.providers.add(provider('sim'), actor);
      const secret = { sealed: 'v1.sealed-credential', hint: 'user@pve!t=…abcd' };
      expect(await store.providers.replaceSecret('sim', secret, 5_000, actor)).toBe(true);
      expect(await store.providers.get('sim')).toEqual({
        ...provider('sim'),
        secret: secret.sealed,
        secretHint: secret.hint,
        updatedAt: 5_000,
      });
      expect(await store.providers.replaceSecret('nope', secret, 5_000, actor)).toBe(false);
      const [event] = await store.operatorLog.list(1);
      expect(event).toMatchObject({
        event: 'provider.credential',
        subject: 'sim',
        detail: { hint: secret.hint },
      });
      expect(JSON.stringify(event)).not.toContain(secret.sealed);
    });

    it('keeps resources per type, with the provider they need', async () => {
      await store.providers.add(provider('sim'), actor);
      await store.resources.add(resource('vps', 'x_1'), actor);
      await store.resources.add(resource('game', 'x_1', 'cus_b'), actor);
      await expect(store.resources.add(resource('vps', 'x_1'), actor)).rejects.toBeInstanceOf(
        StoreConflictError,
      );
      await expect(
        store.resources.add(resource('vps', 'x_2', 'cus_a', 'ghost'), actor),
      ).rejects.toBeInstanceOf(StoreReferenceError);
      expect(await store.resources.get('vps', 'x_1')).toEqual(resource('vps', 'x_1'));
      expect(await store.resources.get('game', 'x_1')).toEqual(resource('game', 'x_1', 'cus_b'));
      expect(await store.resources.get('vps', 'x_2')).toBeUndefined();
      expect((await store.resources.list({ customerId: 'cus_b' })).map((r) => r.type)).toEqual([
        'game',
      ]);
      expect(await store.resources.countByProvider('sim')).toBe(2);
    });

    it('moves a machine to another customer: its time of assignment, its place, the keys that named it', async () => {
      await store.providers.add(provider('sim'), actor);
      await store.providers.add(provider('sim2'), actor);
      await store.resources.add(resource('vps', 'vps_1'), actor);
      await store.resources.add(resource('vps', 'vps_2'), actor);
      const scoped = [
        { type: 'vps' as const, id: 'vps_1' },
        { type: 'vps' as const, id: 'vps_2' },
      ];
      await store.keys.create(key('key_a', { resources: scoped }), actor);
      await store.keys.create(
        key('key_b', { customerId: 'cus_b', resources: [{ type: 'vps', id: 'vps_1' }] }),
        actor,
      );
      const before = resource('vps', 'vps_1');
      const other = await harness.openOther();
      try {
        const outcome = await other.resources.update(
          before,
          { customerId: 'cus_b', provider: 'sim2', ref: 'r2' },
          9_000,
          actor,
        );
        const after = {
          ...before,
          customerId: 'cus_b',
          provider: 'sim2',
          ref: 'r2',
          assignedAt: 9_000,
        };
        expect(outcome).toEqual({ before, after, unscopedKeys: ['key_a'] });
        expect(await store.resources.get('vps', 'vps_1')).toEqual(after);
        // The old customer's key names only the other machine now; the new customer's keeps it.
        expect((await store.keys.get('key_a'))?.resources).toEqual([{ type: 'vps', id: 'vps_2' }]);
        expect((await store.keys.get('key_b'))?.resources).toEqual([{ type: 'vps', id: 'vps_1' }]);
        // A change from what was read before refuses; an unknown machine is undefined.
        expect(await store.resources.update(before, { customerId: 'cus_c' }, 9_500, actor)).toBe(
          'changed',
        );
        expect(
          await store.resources.update(resource('vps', 'nope'), { customerId: 'x' }, 1, actor),
        ).toBeUndefined();
        // Only where it runs: the customer and the time of assignment stay.
        const placed = await store.resources.update(after, { ref: 'r3' }, 9_900, actor);
        expect(placed).toMatchObject({ after: { ...after, ref: 'r3' }, unscopedKeys: [] });
        // The log is in the order of the events' times: these two were given theirs.
        const events = (await store.operatorLog.list(20)).filter((e) =>
          ['vps.update', 'vps.move'].includes(e.event),
        );
        expect(events.map((e) => [e.event, e.subject, e.at, e.detail])).toEqual([
          ['vps.update', 'vps_1', 9_900, { ref: { from: 'r2', to: 'r3' }, unscoped_keys: [] }],
          [
            'vps.move',
            'vps_1',
            9_000,
            {
              customer: { from: 'cus_a', to: 'cus_b' },
              provider: { from: 'sim', to: 'sim2' },
              ref: { from: 'ref-vps_1', to: 'r2' },
              unscoped_keys: ['key_a'],
            },
          ],
        ]);
      } finally {
        await other.close();
      }
    });

    it('removes a machine and every key mention of it, with its operator event', async () => {
      await store.providers.add(provider('sim'), actor);
      await store.resources.add(resource('game', 'srv_1'), actor);
      await store.keys.create(key('key_a', { resources: [{ type: 'game', id: 'srv_1' }] }), actor);
      const outcome = await store.resources.remove('game', 'srv_1', actor);
      expect(outcome).toEqual({
        before: resource('game', 'srv_1'),
        after: null,
        unscopedKeys: ['key_a'],
      });
      expect(await store.resources.get('game', 'srv_1')).toBeUndefined();
      expect((await store.keys.get('key_a'))?.resources).toEqual([]);
      expect(await store.resources.remove('game', 'srv_1', actor)).toBeUndefined();
      const [event] = await store.operatorLog.list(1);
      expect(event).toMatchObject({
        event: 'game.remove',
        subject: 'srv_1',
        detail: { customer: 'cus_a', provider: 'sim', ref: 'ref-srv_1', unscoped_keys: ['key_a'] },
      });
      // The provider is free to go now.
      expect(await store.providers.remove('sim', actor)).toBe(true);
    });

    it('updates a provider: settings, and the credential only when given', async () => {
      await store.providers.add(
        { ...provider('pve'), secret: 'sealed-1', secretHint: 'h1' },
        actor,
      );
      expect(
        await store.providers.update('pve', { settings: { timeoutMs: 5 } }, 6_000, actor, {
          changed: ['timeoutMs'],
        }),
      ).toBe(true);
      expect(await store.providers.get('pve')).toMatchObject({
        settings: { timeoutMs: 5 },
        secret: 'sealed-1',
        secretHint: 'h1',
        updatedAt: 6_000,
      });
      await store.providers.update(
        'pve',
        { settings: { timeoutMs: 5 }, secret: { sealed: 'sealed-2', hint: 'h2' } },
        7_000,
        actor,
        { changed: ['credential'] },
      );
      expect(await store.providers.get('pve')).toMatchObject({
        secret: 'sealed-2',
        secretHint: 'h2',
      });
      expect(await store.providers.update('nope', { settings: {} }, 1, actor, {})).toBe(false);
      const event = (await store.operatorLog.list(20)).find((e) => e.event === 'provider.update');
      expect(event).toMatchObject({
        event: 'provider.update',
        subject: 'pve',
        at: 7_000,
        detail: { changed: ['credential'] },
      });
    });

    it('finds keys by digest only, lists them without it, and revokes once', async () => {
      await store.providers.add(provider('sim'), actor);
      await store.resources.add(resource('vps', 'vps_1'), actor);
      await store.resources.add(resource('game', 'srv_1'), actor);
      await store.keys.create(key('key_all'), actor);
      await store.keys.create(
        key('key_some', {
          scope: 'read',
          resources: [
            { type: 'game', id: 'srv_1' },
            { type: 'vps', id: 'vps_1' },
          ],
          expiresAt: 9_000,
        }),
        actor,
      );
      await expect(store.keys.create(key('key_all'), actor)).rejects.toBeInstanceOf(
        StoreConflictError,
      );

      const found = await store.keys.findByHash(key('key_some').hash);
      expect(found).toMatchObject({
        id: 'key_some',
        scope: 'read',
        expiresAt: 9_000,
        revokedAt: null,
        hash: key('key_some').hash,
      });
      expect(found?.resources).toEqual([
        { type: 'game', id: 'srv_1' },
        { type: 'vps', id: 'vps_1' },
      ]);
      expect(await store.keys.findByHash('f'.repeat(64))).toBeUndefined();

      const listed = await store.keys.list();
      expect(listed.map((k) => [k.id, k.resources === null])).toEqual([
        ['key_all', true],
        ['key_some', false],
      ]);
      expect(JSON.stringify(listed)).not.toContain(key('key_all').hash);
      expect(await store.keys.list({ customerId: 'cus_b' })).toEqual([]);

      expect(await store.keys.revoke('key_all', 5_000, actor)).toBe(true);
      expect(await store.keys.revoke('key_all', 6_000, actor)).toBe(true);
      expect((await store.keys.get('key_all'))?.revokedAt).toBe(5_000);
      expect(await store.keys.revoke('key_none', 5_000, actor)).toBe(false);

      await store.keys.touch(new Map([['key_some', 7_000]]));
      await store.keys.touch(new Map([['key_some', 6_500]]));
      expect((await store.keys.get('key_some'))?.lastUsedAt).toBe(7_000);
    });

    it("keeps a key's allowlist of client addresses", async () => {
      await store.keys.create(
        key('key_ip', { allowedIps: ['192.0.2.0/24', '2001:db8::1/128'] }),
        actor,
      );
      await store.keys.create(key('key_any'), actor);
      expect((await store.keys.get('key_ip'))?.allowedIps).toEqual([
        '192.0.2.0/24',
        '2001:db8::1/128',
      ]);
      expect((await store.keys.findByHash(key('key_ip').hash))?.allowedIps).toEqual([
        '192.0.2.0/24',
        '2001:db8::1/128',
      ]);
      expect((await store.keys.list()).map((k) => [k.id, k.allowedIps])).toEqual([
        ['key_any', null],
        ['key_ip', ['192.0.2.0/24', '2001:db8::1/128']],
      ]);
    });

    it('rotates an active key once: the replacement is created, the old one expires', async () => {
      await store.keys.create(key('key_old', { expiresAt: 50_000 }), actor);
      const replacement = key('key_new', { createdAt: 10_000, expiresAt: 50_000 });
      expect(await store.keys.rotate('key_old', replacement, 30_000, 10_000, actor)).toBe(true);
      expect((await store.keys.get('key_old'))?.expiresAt).toBe(30_000);
      expect((await store.keys.get('key_new'))?.expiresAt).toBe(50_000);
      // Rotated already: a second rotation makes nothing.
      const again = key('key_newer', { createdAt: 11_000 });
      expect(await store.keys.rotate('key_old', again, 40_000, 11_000, actor)).toBe(false);
      expect(await store.keys.get('key_newer')).toBeUndefined();
      // A sooner expiry of its own is kept; a revoked or expired key is not rotated.
      await store.keys.create(key('key_soon', { expiresAt: 12_000 }), actor);
      expect(await store.keys.rotate('key_soon', key('key_s2'), 90_000, 10_000, actor)).toBe(true);
      expect((await store.keys.get('key_soon'))?.expiresAt).toBe(12_000);
      await store.keys.create(key('key_gone'), actor);
      await store.keys.revoke('key_gone', 10_000, actor);
      expect(await store.keys.rotate('key_gone', key('key_g2'), 90_000, 10_000, actor)).toBe(false);
      expect(await store.keys.rotate('key_soon', key('key_s3'), 90_000, 13_000, actor)).toBe(false);
      expect(await store.keys.get('key_g2')).toBeUndefined();
      const events = await store.operatorLog.list(20);
      expect(
        events.filter((e) => e.event === 'key.rotate').map((e) => [e.subject, e.detail]),
      ).toEqual([
        ['key_soon', { replaced_by: 'key_s2', expires_at: 90_000 }],
        ['key_old', { replaced_by: 'key_new', expires_at: 30_000 }],
      ]);
    });

    it('lists every stored digest, revoked keys included, up to a limit', async () => {
      expect(await store.keys.allHashes(10)).toEqual([]);
      await store.keys.create(key('key_1'), actor);
      await store.keys.create(key('key_2', { customerId: 'cus_b' }), actor);
      await store.keys.revoke('key_1', 4_000, actor);
      expect([...((await store.keys.allHashes(2)) ?? [])].sort()).toEqual([
        key('key_1').hash,
        key('key_2').hash,
      ]);
      expect(await store.keys.allHashes(1)).toBeNull();
    });

    it('writes an operator event with every change, in the same transaction', async () => {
      await store.providers.add(provider('sim'), actor);
      await expect(store.providers.add(provider('sim'), actor)).rejects.toThrow();
      const now = Date.now();
      await store.resources.add(
        { ...resource('vps', 'vps_1'), createdAt: now, assignedAt: now },
        actor,
      );
      // The log is in the order of the events' times, as a real clock gives them.
      await store.keys.create(key('key_1', { createdAt: Date.now() }), actor);
      await store.keys.revoke('key_1', Date.now(), actor);
      const events = await store.operatorLog.list(10);
      expect(events.map((e) => [e.event, e.subject, e.actor])).toEqual([
        ['key.revoke', 'key_1', 'contract'],
        ['key.create', 'key_1', 'contract'],
        ['vps.add', 'vps_1', 'contract'],
        ['provider.add', 'sim', 'contract'],
      ]);
      expect(JSON.stringify(events)).not.toContain(key('key_1').hash);
    });

    it('appends audit entries in batches and lists them newest first', async () => {
      await store.audit.append([
        entry(1),
        entry(2, { keyId: 'key_b', status: 403, error: 'unauthorized' }),
      ]);
      await store.audit.append([entry(3)]);
      await store.audit.append([]);
      const all = await store.audit.list({ limit: 10 });
      expect(all.map((r) => r.requestId)).toEqual(['req-3', 'req-2', 'req-1']);
      expect(all[1]).toMatchObject(
        entry(2, { keyId: 'key_b', status: 403, error: 'unauthorized' }),
      );
      expect((await store.audit.list({ limit: 1 })).map((r) => r.requestId)).toEqual(['req-3']);
      expect(
        (await store.audit.list({ limit: 10, keyId: 'key_b' })).map((r) => r.requestId),
      ).toEqual(['req-2']);
    });

    it('lends each due action to one claim at a time, and writes a look only under its lease', async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `act_${String(i).padStart(20, '0')}`);
      await store.audit.append(ids.map((actionId, i) => entry(100 + i, { actionId })));
      const other = await harness.openOther();
      try {
        const claim = (on: Store, n: number) =>
          on.actions.claim({
            lease: `lease-${n}`,
            now: 20_000,
            firstCheckBefore: 20_000,
            leaseMs: 5_000,
            limit: 4,
          });
        // Many claims at once, from two connections: no action is in two of them.
        const claims = await Promise.all(
          Array.from({ length: 10 }, (_, n) => claim(n % 2 === 0 ? store : other, n)),
        );
        const claimed = claims.flat().map((a) => a.id);
        expect(new Set(claimed).size).toBe(claimed.length);
        expect(claimed.length).toBe(30);
        expect(claims.flat()[0]).toMatchObject({ status: 'requested', checks: 0, progress: null });
        // Held: not due again until the lease runs out, then due again for anyone.
        expect(await claim(store, 11)).toEqual([]);
        const [again] = await store.actions.claim({
          lease: 'lease-late',
          now: 25_000,
          firstCheckBefore: 25_000,
          leaseMs: 5_000,
          limit: 1,
        });
        expect(again).toBeDefined();
        const taken = claims.flat().find((a) => a.id === again?.id);
        // The old lease's look is not written; the new one's is.
        const look = (lease: string) => ({
          id: again?.id ?? '',
          lease,
          status: 'succeeded' as const,
          error: null,
          finishedAt: 25_100,
          nextCheckAt: null,
          checks: 1,
          progress: 'task_ok',
        });
        expect(await store.actions.settle([look(taken?.lease ?? '')])).toEqual(new Set());
        expect(await store.actions.settle([look('lease-late')])).toEqual(new Set([again?.id]));
        expect(await store.actions.get('vps', 'vps_1', again?.id ?? '')).toMatchObject({
          status: 'succeeded',
          finishedAt: 25_100,
        });
        // Ended: never due again.
        const later = await store.actions.claim({
          lease: 'lease-last',
          now: 90_000,
          firstCheckBefore: 90_000,
          leaseMs: 5_000,
          limit: 100,
        });
        expect(later.map((a) => a.id)).not.toContain(again?.id);
        expect(later.length).toBe(29);
      } finally {
        await other.close();
      }
    });

    it('claims an Idempotency-Key once, completes it with the audit entry, and forgets it after its window', async () => {
      const claim = (requestId: string, overrides: Partial<IdempotencyClaim> = {}) =>
        store.idempotency.claim({
          keyId: 'key_a',
          key: 'k-1',
          fingerprint: 'f-1',
          requestId,
          now: 1_000,
          expiresAt: 2_000,
          leaseUntil: 1_500,
          ...overrides,
        });
      const other = await harness.openOther();
      try {
        // Many claimants at once, over two connections: one wins.
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, n) =>
            n % 2 === 0
              ? claim(`req-${n}`)
              : other.idempotency.claim({
                  keyId: 'key_a',
                  key: 'k-1',
                  fingerprint: 'f-1',
                  requestId: `req-${n}`,
                  now: 1_000,
                  expiresAt: 2_000,
                  leaseUntil: 1_500,
                }),
          ),
        );
        expect(outcomes.filter((o) => o.claimed)).toHaveLength(1);
      } finally {
        await other.close();
      }
      const pending = await claim('req-x', { now: 1_100 });
      expect(pending).toMatchObject({ claimed: false, record: { state: 'pending', reply: null } });
      const winner = pending.claimed ? '' : pending.record.requestId;
      // Another API key's key of the same name is its own.
      expect(await claim('req-y', { keyId: 'key_b' })).toEqual({ claimed: true });

      // Completed in the audit batch, with a fenced batch name as PostgreSQL's writer sends it.
      const reply = { status: 200, error: null, body: '{"ok":true}', location: '/x/actions/act_1' };
      await store.audit.append(
        [entry(50, { requestId: winner, actionId: 'act_1', idempotency: { key: 'k-1', reply } })],
        undefined,
        auditBatchId(),
      );
      const done = await claim('req-z', { now: 1_200 });
      expect(done).toEqual({
        claimed: false,
        record: {
          fingerprint: 'f-1',
          requestId: winner,
          state: 'done',
          reply,
          expiresAt: 2_000,
          leaseUntil: 0,
        },
      });
      await store.audit.append([entry(51, { replayOf: winner })]);
      expect((await store.audit.list({ requestId: 'req-51', limit: 1 }))[0]?.replayOf).toBe(winner);

      // After the window the key is claimed afresh; pruning removes only what has expired.
      expect(await claim('req-later', { now: 2_000, expiresAt: 3_000, leaseUntil: 2_500 })).toEqual(
        { claimed: true },
      );
      expect(await store.idempotency.prune(2_001, 10)).toBe(1); // key_b's
      expect(await store.idempotency.prune(3_001, 10)).toBe(1);
      expect(await claim('req-again', { now: 4_000, expiresAt: 5_000 })).toEqual({ claimed: true });
    });

    it('prunes expired Idempotency-Keys in bounded batches', async () => {
      for (let n = 0; n < 5; n += 1) {
        await store.idempotency.claim({
          keyId: 'key_a',
          key: `k-${n}`,
          fingerprint: 'f',
          requestId: `r-${n}`,
          now: 0,
          expiresAt: 100 + n,
          leaseUntil: 50,
        });
      }
      expect(await store.idempotency.prune(103, 2)).toBe(2);
      expect(await store.idempotency.prune(103, 2)).toBe(1);
      expect(await store.idempotency.prune(103, 2)).toBe(0);
      expect(await store.idempotency.prune(1_000, 10)).toBe(2);
    });

    it('queues webhook events with the commit that causes them: requested with the batch, ended with a written settlement', async () => {
      const endpoint = (id: string, customerId: string, events: NewWebhookEndpoint['events']) =>
        store.webhooks.add(
          {
            id,
            customerId,
            url: 'https://hooks.example.net/',
            events,
            secret: 'sealed',
            createdAt: 1,
          },
          actor,
        );
      await endpoint('whe_all', 'cus_a', null);
      await endpoint('whe_ends', 'cus_a', ['power.action.succeeded']);
      await endpoint('whe_other', 'cus_b', null);
      expect(await store.webhooks.customers()).toEqual(new Set(['cus_a', 'cus_b']));
      const a = 'act_w0000000000000000001';
      const b = 'act_w0000000000000000002';
      await store.audit.append([
        entry(200, { actionId: a, webhooks: true }),
        // Not flagged (no endpoint known for it): nothing is queued, whatever the table says.
        entry(201, { actionId: b }),
        entry(202, { status: 403, error: 'forbidden', webhooks: true }),
      ]);
      const queued = async (endpointId: string) =>
        (await store.webhooks.deliveries(endpointId, 10)).map((d) => [d.type, d.actionId]);
      expect(await queued('whe_all')).toEqual([['power.action.requested', a]]);
      expect(await queued('whe_ends')).toEqual([]);
      expect(await queued('whe_other')).toEqual([]);

      const claimed = await store.actions.claim({
        lease: 'lease-w',
        now: 20_000,
        firstCheckBefore: 20_000,
        leaseMs: 5_000,
        limit: 10,
      });
      expect(claimed.map((c) => c.id).sort()).toEqual([a, b]);
      const look = (id: string, lease: string, status: 'succeeded' | 'in_progress') => ({
        id,
        lease,
        status,
        error: null,
        finishedAt: status === 'succeeded' ? 20_100 : null,
        nextCheckAt: status === 'succeeded' ? null : 21_000,
        checks: 1,
        progress: null,
      });
      // A look under a lease it does not hold is not written, and queues nothing.
      expect(await store.actions.settle([look(a, 'lease-stale', 'succeeded')])).toEqual(new Set());
      expect(await store.webhooks.stats()).toEqual({ pending: 1, oldestPendingAt: 10_200 });
      // An open look queues nothing; an end queues its event for the subscribed endpoints.
      await store.actions.settle([
        look(a, 'lease-w', 'succeeded'),
        look(b, 'lease-w', 'in_progress'),
      ]);
      expect(await queued('whe_all')).toEqual([
        ['power.action.succeeded', a],
        ['power.action.requested', a],
      ]);
      expect(await queued('whe_ends')).toEqual([['power.action.succeeded', a]]);
      expect(await queued('whe_other')).toEqual([]);
      const deliveries = await store.webhooks.deliveries('whe_all', 10);
      expect(deliveries[0]).toMatchObject({ createdAt: 20_100, status: 'pending', attempts: 0 });
      expect(new Set(deliveries.map((d) => d.eventId)).size).toBe(2);
      expect(await store.webhooks.stats()).toEqual({ pending: 3, oldestPendingAt: 10_200 });
    });

    it('keeps every value of a batch exactly, whatever its characters, in one or many rows', async () => {
      const awkward = [
        'NULL',
        '',
        'say "hi"',
        'back\\slash',
        '{braces},commas',
        "it's",
        'ünïcødé ✓',
        'line\nbreak',
      ];
      const entries = awkward.map((text, n) =>
        entry(100 + n, {
          upstreamDetail: text,
          taskRef: n % 2 === 0 ? null : text,
          upstreamStatus: n % 3 === 0 ? null : 200 + n,
          at: 2 ** 40 + n,
        }),
      );
      await store.audit.append(entries);
      const many = Array.from({ length: 1_200 }, (_, n) => entry(1_000 + n));
      await store.audit.append(many);
      const rows = await store.audit.list({ limit: 2_000 });
      const stored = new Map(rows.map(({ id: _id, ...row }) => [row.requestId, row]));
      for (const expected of [...entries, ...many]) {
        expect(stored.get(expected.requestId)).toEqual(expected);
      }
      expect(rows).toHaveLength(entries.length + many.length);
    });

    it('reports configuration changes made through another connection, and only those', async () => {
      const other = await harness.openOther();
      try {
        store.changes.poll();
        expect(store.changes.poll()).toBe(false);
        await other.providers.add(provider('sim'), actor);
        expect(await eventually(() => store.changes.poll())).toBe(true);
        expect(store.changes.poll()).toBe(false);
        await other.audit.append([entry(1)]);
        await other.keys.touch(new Map([['key_x', 1]]));
        expect(store.changes.poll()).toBe(false);
        await store.keys.create(key('key_local'), actor);
        expect(await eventually(() => store.changes.poll())).toBe(true);
      } finally {
        await other.close();
      }
    });
  });
};

/** Notifications may arrive asynchronously (PostgreSQL); polls a bounded number of times. */
const eventually = async (check: () => boolean, attempts = 100): Promise<boolean> => {
  for (let i = 0; i < attempts; i++) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
};
