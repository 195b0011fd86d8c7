import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretKey } from '../../src/secrets/secret-key.js';
import { BACKENDS, SQLITE } from '../helpers/backends.js';
import { FakeUpstream, type RecordedRequest } from '../helpers/fake-upstream.js';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';
import { TEST_ACTOR, TestService } from '../helpers/test-service.js';
import { testTls } from '../helpers/tls.js';

const VPS = '/v1/hosting/cloud/vps-custom';

/**
 * An instance killed with `kill -9` while its webhook attempt waits for the receiver: the delivery
 * stays queued in the store, and another instance delivers it once the lease runs out, with the
 * same `webhook-id`. The event is delivered late, never lost.
 */
describe.each(BACKENDS)('an instance dies during a webhook delivery, on $name', (backend) => {
  const secretKey = backend === SQLITE ? null : SecretKey.fromBytes(randomBytes(32));
  let dir: TempDir;
  let receiver: FakeUpstream;
  let operator: TestService;
  let env: Record<string, string>;
  let key: string;
  let caPem: string;
  let endpointId: string;
  let hang = true;
  const instances: ServeProcess[] = [];

  beforeAll(async () => {
    const tls = await testTls();
    caPem = tls.caPem;
    receiver = await FakeUpstream.start(tls.server, () => (hang ? 'hang' : { status: 204 }));
    operator = await TestService.start({ backend, config: { secretKey } });
    dir = tempDir();
    const caFile = dir.file('ca.pem');
    writeFileSync(caFile, tls.caPem);
    await operator.addProvider('sim');
    await operator.addVps('vps_k', 'cus_a');
    key = (await operator.createKey('cus_a')).key;
    const { record } = await operator.container.webhooks.add(
      { customerId: 'cus_a', url: `${receiver.url}/hook`, events: ['power.action.requested'] },
      TEST_ACTOR,
    );
    endpointId = record.id;
    if (operator.storage === undefined) throw new Error('no storage');
    env = {
      ...operator.storage.env,
      ...(secretKey === null ? {} : { HEO_SECRET_KEY: secretKey.encode() }),
      NODE_EXTRA_CA_CERTS: caFile,
      HEO_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: 'true',
      HEO_WEBHOOKS_POLL_MS: '50',
      HEO_WEBHOOKS_TIMEOUT_MS: '800',
      HEO_WEBHOOKS_LEASE_MS: '2000',
    };
  });
  afterAll(async () => {
    for (const instance of instances) await instance.stop('SIGKILL');
    await operator.close();
    await receiver.close();
    dir.remove();
  });

  it('another instance delivers the event once the lease runs out', async () => {
    const first = await startServeProcess(env);
    instances.push(first);
    const res = await fetch(`${first.url}${VPS}/vps_k/start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    for (let i = 0; i < 250 && receiver.requests.length === 0; i++) await sleep(20);
    expect(receiver.requests).toHaveLength(1);
    expect(await first.stop('SIGKILL')).toBeNull();
    hang = false;

    const next = await operator.sibling({
      config: {
        webhooksDeliver: true,
        webhooksAllowPrivateAddresses: true,
        webhooksPollMs: 50,
        webhooksTimeoutMs: 800,
        webhooksLeaseMs: 2_000,
      },
      webhookCa: [caPem],
    });
    try {
      for (let i = 0; i < 300 && receiver.requests.length < 2; i++) await sleep(20);
      const [killed, delivered] = receiver.requests as [RecordedRequest, RecordedRequest];
      expect(receiver.requests).toHaveLength(2);
      expect(delivered.headers['webhook-id']).toBe(killed.headers['webhook-id']);
      expect(delivered.body).toBe(killed.body);
      let deliveries = await operator.container.webhooks.deliveries(endpointId, 5);
      for (let i = 0; i < 100 && deliveries[0]?.status !== 'delivered'; i++) {
        await sleep(20);
        deliveries = await operator.container.webhooks.deliveries(endpointId, 5);
      }
      // The attempt the killed instance made was never written: this is the first that counts.
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 204 });
    } finally {
      await next.fastify.close();
      await next.container.close();
    }
  });
});
