import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrustProxy } from '../../src/config.js';
import { BACKENDS } from '../helpers/backends.js';
import { bearer, withBadChecksum } from '../helpers/expect-http.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const LOAD_BALANCER = '10.1.2.3';
const CLIENT = '198.51.100.20';
const SPOOFED = '203.0.113.66';

/**
 * The audit records the client's address. Behind a load balancer that is the address the
 * balancer puts in X-Forwarded-For, but only when HEO_TRUST_PROXY says to believe it: otherwise
 * any client could write any address into the audit log.
 */
describe.each(BACKENDS)('on $name', (backend) => {
  describe.each<[string, TrustProxy, string]>([
    ['off (the default): the peer address, X-Forwarded-For ignored', false, LOAD_BALANCER],
    ['true: the first address of X-Forwarded-For', true, SPOOFED],
    ['a hop count of 1: the address the nearest proxy saw', 1, CLIENT],
    ["the load balancer's network: the address it saw", ['10.0.0.0/8'], CLIENT],
    ['another network: the peer address', ['192.168.0.0/16'], LOAD_BALANCER],
  ])('HEO_TRUST_PROXY %s', (_label, trustProxy, recorded) => {
    const logs = captureLogs('info');
    let service: TestService;
    let key: { id: string; key: string };

    beforeAll(async () => {
      service = await startWithCustomers({
        backend,
        logger: logs.logger,
        config: { trustProxy, logLevel: 'info' },
      });
      key = await service.createKey('cus_a');
    });
    afterAll(() => service.close());

    it(`records ${recorded} in the audit log`, async () => {
      const res = await service.inject({
        method: 'POST',
        url: '/v1/hosting/cloud/vps-custom/vps_123/start',
        headers: { ...bearer(key.key), 'x-forwarded-for': `${SPOOFED}, ${CLIENT}` },
        remoteAddress: LOAD_BALANCER,
      });
      expect(res.statusCode).toBe(200);
      const [row] = await service.store.audit.list({ limit: 1, keyId: key.id });
      expect(row?.clientIp).toBe(recorded);
    });

    it.each([
      ['an accepted request', '/v1/hosting/game/power/srv_123/start', 'good'],
      [
        'the same through the framework route',
        '/v1/hosting/game/power/srv_123/start?via=x',
        'good',
      ],
      ['an unknown key, which has no audit row', '/v1/hosting/game/power/srv_123/start', 'unknown'],
    ] as const)('logs %s (%s) with the recorded remote address', async (_label, url, which) => {
      const requestId = `client-ip-${which}-${url.length}`;
      const token = which === 'good' ? key.key : withBadChecksum(key.key);
      await service.inject({
        method: 'POST',
        url,
        headers: {
          ...bearer(token),
          'x-forwarded-for': `${SPOOFED}, ${CLIENT}`,
          'x-request-id': requestId,
        },
        remoteAddress: LOAD_BALANCER,
      });
      if (which === 'unknown') {
        // Failed authentications are logged as one summary line per address and interval.
        service.container.failures?.summarise();
        const summary = logs.lines().find((entry) => entry.msg === 'authentication failures');
        expect(summary).toMatchObject({ clientIp: recorded, failed: 1, refused: 0 });
        return;
      }
      const line = logs
        .lines()
        .find((entry) => entry.msg === 'request completed' && entry.reqId === requestId);
      expect(line?.req).toEqual({ method: 'POST', url, remoteAddress: recorded });
    });
  });
});
