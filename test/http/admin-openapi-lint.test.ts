import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REDOCLY = fileURLToPath(
  new URL('../../node_modules/@redocly/cli/bin/cli.js', import.meta.url),
);

interface LintReport {
  readonly totals: { readonly errors: number; readonly warnings: number; readonly ignored: number };
  readonly problems: readonly {
    readonly ruleId: string;
    readonly message: string;
    readonly location?: readonly { readonly pointer?: string }[];
  }[];
}

/** The admin document, linted as the public one is: the same `redocly.yaml`, no exceptions. */
describe('the admin OpenAPI document under redocly lint', () => {
  const dir = tempDir('heo-power-admin-redocly-');
  let service: TestService;

  beforeAll(async () => {
    service = await startWithCustomers();
  });
  afterAll(async () => {
    await service.close();
    dir.remove();
  });

  it('has no errors and no warnings', async () => {
    const res = await service.adminInject({ method: 'GET', url: '/admin/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const file = dir.file('admin-openapi.json');
    writeFileSync(file, res.body);
    const run = await promisify(execFile)(
      process.execPath,
      [REDOCLY, 'lint', file, '--config', `${ROOT}redocly.yaml`, '--format', 'json'],
      {
        cwd: ROOT,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? '',
          REDOCLY_TELEMETRY: 'off',
          REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
          NO_COLOR: '1',
        },
      },
    ).catch((error: unknown) => error as { stdout: string; stderr: string });
    const report = JSON.parse(run.stdout) as LintReport;
    expect(
      report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer ?? '?'}`),
    ).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  }, 90_000);
});
