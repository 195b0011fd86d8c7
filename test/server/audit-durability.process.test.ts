import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliJson } from '../helpers/cli.js';
import { startServeProcess } from '../helpers/serve-process.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';

/**
 * Every 200 is in the audit table before its reply leaves: killing the server with SIGKILL right
 * after the replies arrive loses none of them, in both durability modes.
 */
describe.each(['process-crash', 'power-loss'])('audit durability %s', (mode) => {
  let dir: TempDir;
  let env: Record<string, string>;
  let key: string;

  beforeAll(async () => {
    dir = tempDir();
    env = { DATABASE_URL: dir.file('durable.db'), HEO_AUDIT_DURABILITY: mode };
    await runCliJson(['providers', 'add', 'sim', '--type', 'simulator'], env);
    for (let i = 0; i < 5; i++) {
      await runCliJson(['vps', 'add', `vps_${i}`, '--customer', 'cus_1', '--provider', 'sim'], env);
    }
    key = (await runCliJson<{ key: string }>(['keys', 'create', '--customer', 'cus_1'], env)).key;
  });
  afterAll(() => dir.remove());

  it('keeps the record of every 200 across kill -9', async () => {
    const server = await startServeProcess({ ...env, HEO_RATE_LIMIT_PER_MINUTE: '100000' });
    const answered: string[] = [];
    try {
      for (let round = 0; round < 4; round++) {
        const responses = await Promise.all(
          Array.from({ length: 25 }, (_, n) =>
            fetch(`${server.url}/v1/hosting/cloud/vps-custom/vps_${n % 5}/start`, {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'x-request-id': `durable-${round}-${n}` },
            }),
          ),
        );
        for (const res of responses) {
          expect(res.status).toBe(200);
          answered.push(res.headers.get('x-request-id') ?? '');
        }
      }
    } finally {
      await server.stop('SIGKILL');
    }
    const db = new BetterSqlite3(env.DATABASE_URL ?? '', { readonly: true });
    try {
      const recorded = new Set(
        (
          db.prepare('SELECT request_id FROM audit_log WHERE status = 200').all() as {
            request_id: string;
          }[]
        ).map((row) => row.request_id),
      );
      expect(answered).toHaveLength(100);
      expect(answered.filter((id) => !recorded.has(id))).toEqual([]);
    } finally {
      db.close();
    }
  });
});
