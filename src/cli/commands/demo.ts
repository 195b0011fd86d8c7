import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { loadConfig } from '../../config.js';
import { type Container, createContainer } from '../../container.js';
import { createLogger } from '../../logger.js';
import type { Actor, ResourceRecord } from '../../store/store.js';

const DEMO_PROVIDER = 'demo-sim';
const DEMO_CUSTOMER = 'cus_acme';
const OTHER_CUSTOMER = 'cus_globex';
const DEMO_ACTOR: Actor = { name: 'demo' };
const KEY_NAMES = { power: 'demo power key', read: 'demo read key' } as const;

const DEMO_RESOURCES: readonly Pick<ResourceRecord, 'type' | 'id' | 'customerId' | 'ref'>[] = [
  { type: 'vps', id: 'vps_123', customerId: DEMO_CUSTOMER, ref: 'vps_123' },
  { type: 'game', id: 'srv_123', customerId: DEMO_CUSTOMER, ref: 'srv_123' },
  { type: 'vps', id: 'vps_broken', customerId: DEMO_CUSTOMER, ref: 'fail-vps_broken' },
  { type: 'vps', id: 'vps_456', customerId: OTHER_CUSTOMER, ref: 'vps_456' },
  { type: 'game', id: 'srv_456', customerId: OTHER_CUSTOMER, ref: 'srv_456' },
];

/** Demo data, added only where missing; earlier demo keys are revoked so only the new ones work. */
const seed = async ({ store, machines, keys }: Container) => {
  if ((await store.providers.get(DEMO_PROVIDER)) === undefined) {
    await machines.addProvider(
      { name: DEMO_PROVIDER, type: 'simulator', settings: { transitionMs: 3_000 } },
      DEMO_ACTOR,
    );
  }
  for (const resource of DEMO_RESOURCES) {
    if ((await store.resources.get(resource.type, resource.id)) === undefined) {
      await machines.addResource({ ...resource, provider: DEMO_PROVIDER }, DEMO_ACTOR);
    }
  }
  for (const key of await store.keys.list({ customerId: DEMO_CUSTOMER })) {
    const isDemoKey = key.name === KEY_NAMES.power || key.name === KEY_NAMES.read;
    if (isDemoKey && key.revokedAt === null)
      await store.keys.revoke(key.id, Date.now(), DEMO_ACTOR);
  }
  const power = await keys.create(
    { customerId: DEMO_CUSTOMER, scope: 'power', name: KEY_NAMES.power },
    DEMO_ACTOR,
  );
  const read = await keys.create(
    { customerId: DEMO_CUSTOMER, scope: 'read', name: KEY_NAMES.read },
    DEMO_ACTOR,
  );
  return { power: power.plaintext, read: read.plaintext };
};

const banner = (url: string, location: string, keys: { power: string; read: string }): string => {
  const post = (path: string, key: string) =>
    `curl -sS -X POST "${url}${path}" -H "Authorization: Bearer ${key}"`;
  return [
    '',
    `heo-power demo is listening on ${url}`,
    `  store: SQLite at ${location}; provider "${DEMO_PROVIDER}" simulates every machine`,
    `  ${DEMO_CUSTOMER} owns vps_123, srv_123 and vps_broken (its provider refuses everything);`,
    `  ${OTHER_CUSTOMER} owns vps_456 and srv_456.`,
    '',
    `Power key of ${DEMO_CUSTOMER} (all its machines): ${keys.power}`,
    `Read key of ${DEMO_CUSTOMER}:                     ${keys.read}`,
    '',
    'Try (each line is ready to paste):',
    `  ${post('/v1/hosting/cloud/vps-custom/vps_123/start', keys.power)}`,
    `  ${post('/v1/hosting/cloud/vps-custom/vps_123/stop', keys.power)}`,
    `  ${post('/v1/hosting/cloud/vps-custom/vps_123/reset?force=true', keys.power)}`,
    `  ${post('/v1/hosting/game/power/srv_123/start', keys.power)}`,
    `  ${post('/v1/hosting/game/power/srv_123/stop', keys.power)}`,
    `  ${post('/v1/hosting/game/power/srv_123/restart', keys.power)}`,
    `  ${post('/v1/hosting/game/power/srv_123/kill', keys.power)} -H "Content-Type: application/json" -d '{"force": true}'`,
    `  ${post('/v1/hosting/cloud/vps-custom/vps_123/reset', keys.power)}      # 400: needs force=true`,
    `  ${post('/v1/hosting/cloud/vps-custom/vps_456/start', keys.power)}      # 403: another customer's VPS`,
    `  ${post('/v1/hosting/game/power/srv_123/start', keys.read)}      # 403: read scope`,
    `  ${post('/v1/hosting/cloud/vps-custom/vps_broken/start', keys.power)}   # 502: provider refuses`,
    '',
    `API reference: ${url}/docs (OpenAPI document: ${url}/openapi.json)`,
    'In another terminal: "npx heo-power audit" shows every request; "npx heo-power keys list" the keys.',
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
};

export const registerDemoCommand = (program: Command, io: CliIo): void => {
  program
    .command('demo')
    .description('start the API on the embedded default with simulated machines and demo keys')
    .action(async () => {
      const env = { ...io.env, LOG_LEVEL: io.env.LOG_LEVEL ?? 'warn' };
      const config = loadConfig(env);
      const setup = await createContainer(config, {
        logger: createLogger(config.logLevel, io.stderr),
        serving: false,
      });
      let keys: { power: string; read: string };
      try {
        keys = await seed(setup);
      } finally {
        await setup.close();
      }
      const { runServer } = await import('../../server.js');
      await runServer(config, (server) => {
        io.stdout.write(banner(server.url, server.container.store.location, keys));
      });
    });
};
