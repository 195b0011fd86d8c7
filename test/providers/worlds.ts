import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { PowerAction } from '../../src/domain/power.js';
import type { PowerProvider, PowerTarget } from '../../src/providers/provider.js';
import { ProxmoxProvider } from '../../src/providers/proxmox/proxmox-provider.js';
import { PterodactylProvider } from '../../src/providers/pterodactyl/pterodactyl-provider.js';
import { SimulatorProvider } from '../../src/providers/simulator/simulator-provider.js';
import { FakeProxmox, type GuestType } from '../helpers/fake-proxmox.js';
import { FakePterodactyl } from '../helpers/fake-pterodactyl.js';
import type { FakeAnswer } from '../helpers/fake-upstream.js';
import { captureLogs } from '../helpers/log-capture.js';
import { testTls } from '../helpers/tls.js';
import type { ProviderWorld } from './provider-contract.js';

/** Short enough to keep the suite quick, long enough for a TLS handshake on a busy machine. */
export const TEST_TIMEOUT_MS = 1_500;

export const PVE_TOKEN_ID = 'heo@pve!power';
export const PVE_SECRET = '5e0f9d1c-8a7b-4c3d-9e2f-1a2b3c4d5e6f';
export const PANEL_KEY = `ptlc_Ab3dE6gH9jK${'x'.repeat(28)}Q7rZ`;

/** Whether a connection to this loopback port is refused (nothing listens there). */
const refuses = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });

/** The first port the kernel hands out to `listen(0)`; below it, no test server can land. */
const firstEphemeralPort = (): number => {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > 1_124 ? low : 32_768;
  } catch {
    return 32_768;
  }
};

/**
 * A port on 127.0.0.1 where nothing listens. Taken just below the ports that `listen(0)` hands
 * out, so that a server another test starts meanwhile (in this process or another worker) cannot
 * be given it between this check and the connection that must be refused.
 */
export const closedPort = async (): Promise<number> => {
  const below = firstEphemeralPort();
  for (let port = below - 1; port >= below - 100; port--) {
    if (await refuses(port)) return port;
  }
  throw new Error(`no closed port on 127.0.0.1 between ${below - 100} and ${below - 1}`);
};

/** Per-machine failures injected into a fake, found by a path fragment. */
class Faults {
  readonly #byFragment = new Map<string, FakeAnswer>();

  set(fragment: string, answer: FakeAnswer): void {
    this.#byFragment.set(fragment, answer);
  }

  answer = (request: { url: string }): FakeAnswer | undefined => {
    for (const [fragment, answer] of this.#byFragment)
      if (request.url.includes(fragment)) return answer;
    return undefined;
  };
}

export const simulatorWorld = async (family: 'vps' | 'game'): Promise<ProviderWorld> => {
  const logger = captureLogs('silent').logger;
  // The simulator's clock only moves when the world lets time pass, so states hold still.
  let clock = Date.now();
  const transitionMs = 60_000;
  const simulator = new SimulatorProvider({
    name: 'sim',
    transitionMs,
    timeoutMs: 300,
    logger,
    now: () => clock,
  });
  let calls = 0;
  let machines = 0;
  // The simulator is its own upstream: every call to it is a power request it received.
  const provider: PowerProvider = {
    type: 'simulator',
    power: (target, action, context) => {
      calls++;
      return simulator.power(target, action, context);
    },
    state: (target) => simulator.state(target),
    followTask: (target, taskRef) => simulator.followTask(target, taskRef),
    probe: () => simulator.probe(),
    close: () => simulator.close(),
  };
  const target = (ref: string): PowerTarget => ({ resourceType: family, resourceId: ref, ref });
  return {
    family,
    provider,
    secrets: [],
    machine: async (state) => {
      const t = target(`m-${++machines}`);
      if (state === 'running') {
        await simulator.power(t, 'start', { requestId: 'setup', logger });
        clock += transitionMs;
      }
      return t;
    },
    letTimePass: () => {
      clock += transitionMs;
    },
    isUp: (t) => ['running', 'starting'].includes(simulator.machine(t.ref).state),
    powerRequests: () => calls,
    postsFor: () => 1,
    failWith5xx: (t) => target(`fail-${t.ref}`),
    hang: (t) => target(`hang-${t.ref}`),
    close: () => simulator.close(),
  };
};

export const proxmoxWorld = async (
  type: GuestType,
): Promise<ProviderWorld & { fake: FakeProxmox }> => {
  const tls = await testTls();
  const fake = await FakeProxmox.start(tls.server);
  fake.addToken(PVE_TOKEN_ID, PVE_SECRET);
  const faults = new Faults();
  fake.intercept = faults.answer;
  let vmid = type === 'qemu' ? 100 : 5000;
  const build = (url: string, secret = PVE_SECRET) =>
    new ProxmoxProvider({
      name: 'pve',
      http: { url, caPem: tls.caPem, insecureTls: false, timeoutMs: TEST_TIMEOUT_MS },
      token: { id: PVE_TOKEN_ID, secret },
      pollIntervalMs: 10,
    });
  const provider = build(fake.url);
  const port = await closedPort();
  const fragment = (t: PowerTarget) => `/${t.ref.split('/').slice(1).join('/')}/`;
  return {
    fake,
    family: 'vps',
    provider,
    secrets: [PVE_SECRET],
    machine: async (state) => {
      const guest = fake.addGuest('pve1', type, ++vmid, state);
      return {
        resourceType: 'vps',
        resourceId: `vps_${guest.vmid}`,
        ref: `pve1/${type}/${guest.vmid}`,
      };
    },
    isUp: (t) => {
      const [node, kind, id] = t.ref.split('/');
      return fake.guest(node ?? '', kind as GuestType, Number(id))?.status === 'running';
    },
    powerRequests: () => fake.powerPosts().length,
    postsFor: (action: PowerAction) => (action === 'reset' && type === 'lxc' ? 2 : 1),
    failWith5xx: (t) => {
      faults.set(fragment(t), {
        status: 500,
        reason: `VM ${t.ref.split('/')[2] ?? ''} qmp command 'cont' failed - got timeout`,
        headers: { 'content-type': 'application/json;charset=UTF-8' },
        body: JSON.stringify({ data: null, message: "qmp command 'cont' failed - got timeout\n" }),
      });
      return t;
    },
    hang: (t) => {
      faults.set(fragment(t), 'hang');
      return t;
    },
    dropConnection: (t) => {
      faults.set(fragment(t), 'reset');
      return t;
    },
    missing: () => ({ resourceType: 'vps', resourceId: 'vps_gone', ref: `pve1/${type}/999999` }),
    rateLimit: (t, seconds) => {
      // Proxmox itself has no rate limit; a reverse proxy in front of it may.
      faults.set(fragment(t), {
        status: 429,
        headers: { 'content-type': 'text/html', 'retry-after': String(seconds) },
        body: '<html><body><h1>429 Too Many Requests</h1></body></html>',
      });
      return t;
    },
    failNextTask: (exitstatus) => fake.failNextTask(exitstatus),
    unreachable: () => build(`https://127.0.0.1:${port}`),
    badCredential: () => build(fake.url, '00000000-0000-4000-8000-000000000000'),
    close: async () => {
      await provider.close();
      await fake.close();
    },
  };
};

export const pterodactylWorld = async (): Promise<ProviderWorld & { fake: FakePterodactyl }> => {
  const tls = await testTls();
  const fake = await FakePterodactyl.start(tls.server);
  fake.addKey(PANEL_KEY, { username: 'heo-admin', admin: true });
  const faults = new Faults();
  fake.intercept = faults.answer;
  const build = (url: string, key = PANEL_KEY) =>
    new PterodactylProvider({
      name: 'panel',
      http: { url, caPem: tls.caPem, insecureTls: false, timeoutMs: TEST_TIMEOUT_MS },
      apiKey: key,
    });
  const provider = build(fake.url);
  const port = await closedPort();
  let count = 0;
  const serverOf = (t: PowerTarget) =>
    fake.servers.find((s) => s.identifier === t.ref || s.uuid === t.ref);
  return {
    fake,
    family: 'game',
    provider,
    secrets: [PANEL_KEY, PANEL_KEY.slice(16)],
    machine: async (state) => {
      const server = fake.addServer(
        randomUUID(),
        'someone',
        state === 'running' ? 'running' : 'offline',
      );
      // Both forms of server id are valid refs; use each for half of the machines.
      const ref = ++count % 2 === 0 ? server.uuid : server.identifier;
      return { resourceType: 'game', resourceId: `srv_${count}`, ref };
    },
    isUp: (t) => ['running', 'starting'].includes(serverOf(t)?.state ?? 'offline'),
    powerRequests: () => fake.powerPosts().length,
    postsFor: () => 1,
    failWith5xx: (t) => {
      faults.set(`/servers/${t.ref}/`, {
        status: 504,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          {
            errors: [
              {
                code: 'DaemonConnectionException',
                status: '504',
                detail:
                  'Could not establish a connection to the machine running this server. Please try again.',
              },
            ],
          },
          null,
          4,
        ),
      });
      return t;
    },
    hang: (t) => {
      faults.set(`/servers/${t.ref}/`, 'hang');
      return t;
    },
    dropConnection: (t) => {
      faults.set(`/servers/${t.ref}/`, 'reset');
      return t;
    },
    missing: () => ({ resourceType: 'game', resourceId: 'srv_gone', ref: randomUUID() }),
    rateLimit: (t, seconds) => {
      faults.set(`/servers/${t.ref}/`, {
        status: 429,
        headers: {
          'content-type': 'application/json',
          'retry-after': String(seconds),
          'x-ratelimit-limit': '720',
          'x-ratelimit-remaining': '0',
        },
        body: JSON.stringify(
          {
            errors: [
              { code: 'ThrottleRequestsException', status: '429', detail: 'Too Many Attempts.' },
            ],
          },
          null,
          4,
        ),
      });
      return t;
    },
    unreachable: () => build(`https://127.0.0.1:${port}`),
    badCredential: () => build(fake.url, `ptlc_Zz9yY8xX7wW${'q'.repeat(32)}`),
    close: async () => {
      await provider.close();
      await fake.close();
    },
  };
};
