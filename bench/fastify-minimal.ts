import Fastify from 'fastify';

/**
 * Calibration, not a target: the smallest Fastify application answering the same JSON, to show
 * how much of heo-power's cost is the framework itself.
 */
const app = Fastify({ logger: false });
const MESSAGES: Readonly<Record<string, string>> = {
  start: 'Start action sent',
  stop: 'Stop action sent',
  restart: 'Restart action sent',
};
const response = {
  200: {
    type: 'object',
    properties: {
      success: { type: 'boolean' },
      action: { type: 'string' },
      vps_id: { type: 'string' },
      server_id: { type: 'string' },
      status: { type: 'string' },
      message: { type: 'string' },
    },
  },
};
interface Params {
  readonly id: string;
  readonly action: string;
}
for (const [prefix, idField] of [
  ['/v1/hosting/cloud/vps-custom', 'vps_id'],
  ['/v1/hosting/game/power', 'server_id'],
] as const) {
  app.post<{ Params: Params }>(`${prefix}/:id/:action`, { schema: { response } }, async (req) => ({
    success: true,
    action: req.params.action,
    [idField]: req.params.id,
    status: 'requested',
    message: MESSAGES[req.params.action] ?? '',
  }));
}
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
