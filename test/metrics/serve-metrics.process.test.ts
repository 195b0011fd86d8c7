import { describe, expect, it } from 'vitest';
import { parse, valueOf } from '../helpers/prometheus.js';
import { startServeProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('metrics of the serve command', () => {
  it('listen where HEO_METRICS_PORT says, and the start line names them', async () => {
    const dir = tempDir();
    const serve = await startServeProcess({
      DATABASE_URL: dir.file('heo-power.db'),
      HEO_METRICS_PORT: '0',
    });
    try {
      const match = /"metrics":"(http:\/\/[^"]+)"/.exec(serve.output());
      expect(match?.[1]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      await fetch(`${serve.url}/healthz`);
      const text = await (await fetch(match?.[1] ?? '')).text();
      expect(
        valueOf(parse(text), 'heo_http_requests_total', {
          route: '/healthz',
          method: 'GET',
          status: '200',
        }),
      ).toBe(1);
    } finally {
      expect(await serve.stop()).toBe(0);
      dir.remove();
    }
  });
});
