import { describe, expect, it } from 'vitest';
import type { SecretSealer } from '../../src/secrets/secret-box.js';
import { DEFAULTS } from '../../src/config.js';
import type { SendOutcome } from '../../src/services/webhook-client.js';
import { WebhookDeliverer } from '../../src/services/webhook-deliverer.js';
import type {
  ActionRecord,
  ClaimedWebhookDelivery,
  StoredWebhookEndpoint,
  WebhookAttempt,
  WebhookStore,
} from '../../src/store/store.js';

const NOW = 1_800_000_000_000;
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

const endpoint: StoredWebhookEndpoint = {
  id: 'whe_1',
  customerId: 'cus_a',
  url: 'https://hooks.example.net/',
  events: null,
  enabled: true,
  disabledReason: null,
  failingSince: null,
  previousUntil: null,
  createdAt: 0,
  updatedAt: 0,
  secret: 'sealed',
  previousSecret: null,
};

const action: ActionRecord = {
  id: 'act_00000000000000000001',
  resourceType: 'vps',
  resourceId: 'vps_1',
  customerId: 'cus_a',
  keyId: 'key_1',
  action: 'start',
  provider: 'sim',
  taskRef: null,
  status: 'succeeded',
  error: null,
  requestedAt: NOW - 5_000,
  finishedAt: NOW - 1_000,
};

const delivery = (attempts: number): ClaimedWebhookDelivery => ({
  id: 1,
  eventId: 'msg_1',
  endpointId: 'whe_1',
  type: 'power.action.succeeded',
  actionId: action.id,
  createdAt: NOW - 1_000,
  status: 'pending',
  attempts,
  nextAttemptAt: NOW,
  lastAttemptAt: null,
  lastStatus: null,
  lastError: null,
  lastResponse: null,
  finishedAt: null,
  lease: 'lease',
});

/** One attempt of a delivery that had `attempts` before, against a receiver answering `outcome`. */
const attemptOnce = async (
  attempts: number,
  outcome: SendOutcome,
  random: number,
): Promise<WebhookAttempt> => {
  const recorded: WebhookAttempt[] = [];
  let claimed = false;
  const store = {
    claim: async () => {
      if (claimed) return [];
      claimed = true;
      return [delivery(attempts)];
    },
    get: async () => endpoint,
    action: async () => action,
    record: async (a: WebhookAttempt) => {
      recorded.push(a);
      return true;
    },
    setEnabled: async () => true,
  } as unknown as WebhookStore;
  const secrets: SecretSealer = { seal: () => '', open: () => SECRET };
  const deliverer = new WebhookDeliverer({
    store,
    secrets,
    client: { send: async () => outcome },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined } as never,
    leaseMs: 60_000,
    pollMs: 1_000,
    concurrency: 1,
    retryScheduleMs: DEFAULTS.webhooksRetryScheduleMs,
    disableAfterMs: DEFAULTS.webhooksDisableAfterMs,
    now: () => NOW,
    random: () => random,
  });
  await deliverer.round();
  await deliverer.settled();
  const [only] = recorded;
  if (only === undefined) throw new Error('nothing recorded');
  return only;
};

describe('the webhook retry schedule', () => {
  const failing: SendOutcome = { kind: 'answered', status: 503, excerpt: '' };

  it('retries first within 10 s, whatever the jitter', async () => {
    for (const random of [0, 0.5, 0.999]) {
      const first = await attemptOnce(0, failing, random);
      expect(first.status).toBe('pending');
      const wait = (first.nextAttemptAt ?? 0) - NOW;
      expect(wait).toBeGreaterThanOrEqual(4_000);
      expect(wait).toBeLessThanOrEqual(6_000);
    }
  });

  it('spreads eight attempts over about a day, then fails the delivery', async () => {
    let total = 0;
    for (let attempts = 0; attempts < 7; attempts++) {
      const result = await attemptOnce(attempts, failing, 0.5);
      expect(result).toMatchObject({ status: 'pending', attempts: attempts + 1 });
      total += (result.nextAttemptAt ?? 0) - NOW;
    }
    expect(total / 3_600_000).toBeGreaterThan(24);
    expect(total / 3_600_000).toBeLessThan(30);
    expect(await attemptOnce(7, failing, 0.5)).toMatchObject({
      status: 'failed',
      attempts: 8,
      nextAttemptAt: null,
      error: 'status_503',
    });
  });

  it('takes any 2xx as delivered, and a 410 as final', async () => {
    for (const status of [200, 201, 204, 299]) {
      expect(await attemptOnce(2, { kind: 'answered', status, excerpt: 'ok' }, 0.5)).toMatchObject({
        status: 'delivered',
        nextAttemptAt: null,
        httpStatus: status,
        error: null,
      });
    }
    expect(await attemptOnce(0, { kind: 'answered', status: 410, excerpt: '' }, 0.5)).toMatchObject(
      {
        status: 'failed',
        nextAttemptAt: null,
      },
    );
    expect(await attemptOnce(0, { kind: 'failed', error: 'timeout' }, 0.5)).toMatchObject({
      status: 'pending',
      httpStatus: null,
      error: 'timeout',
    });
  });
});
