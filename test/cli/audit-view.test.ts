import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { table } from '../../src/cli/output.js';
import { runCliInProcess } from '../helpers/cli.js';
import { bearer } from '../helpers/expect-http.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

/** Anything a terminal would act on rather than show: C0, DEL, C1, bidirectional controls. */
const TERMINAL_CONTROL =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * An id crafted to forge the operator's view: a newline, then a line that looks like a record of
 * a successful reset, then the escape sequence that clears the screen.
 */
const FORGED =
  'x%0A2030-01-01T00:00:00.000Z%20%20key_FORGED%20%20cus_a%20%20vps:vps_123%20%20reset%20%20200%1B%5B2J';

describe('the operator view of the audit log', () => {
  let service: TestService;
  let env: Record<string, string>;

  beforeAll(async () => {
    service = await startWithCustomers();
    env = { DATABASE_URL: service.container.config.databaseUrl };
  });
  afterAll(() => service.close());

  it('stores an id that breaks the id rules visibly escaped, and prints it as one line', async () => {
    const { key } = await service.createKey('cus_a');
    const res = await service.inject({
      method: 'POST',
      url: `/v1/hosting/cloud/vps-custom/${FORGED}/stop`,
      headers: bearer(key),
    });
    expect(res.statusCode).toBe(403);
    const [row] = await service.store.audit.list({ limit: 1 });
    expect(row?.resourceId).toBe(
      'x\\x0a2030-01-01T00:00:00.000Z  key_FORGED  cus_a  vps:vps_123  reset  200\\x1b[2J',
    );

    const printed = await runCliInProcess(['audit'], env);
    expect(printed.code).toBe(0);
    const lines = printed.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('vps:x\\x0a2030-01-01');
    expect(TERMINAL_CONTROL.test(printed.stdout)).toBe(false);
  });

  it('escapes control and bidirectional characters in every table cell', () => {
    const printed = table(['ID', 'NOTE'], [['a\u202eb', 'c\u001b[2Jd\re']]);
    expect(printed).toBe('ID        NOTE\na\\u202eb  c\\x1b[2Jd\\x0de');
    expect(TERMINAL_CONTROL.test(printed)).toBe(false);
  });
});
