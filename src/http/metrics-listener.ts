import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiError, Errors } from './api-errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';

export const METRICS_PATH = '/metrics';

export interface MetricsServer {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

const sendError = (res: ServerResponse, error: ApiError): void => {
  const body = JSON.stringify(error.toBody());
  res.writeHead(error.statusCode, {
    ...error.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
};

/**
 * `GET /metrics` in the Prometheus text format, on a listener of its own: it stays off the
 * customer-facing port, so operators can keep it on a private interface.
 */
export const startMetricsServer = async (
  metrics: Metrics,
  options: { readonly host: string; readonly port: number; readonly logger: Logger },
): Promise<MetricsServer> => {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== METRICS_PATH) {
      sendError(res, Errors.notFound());
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, Errors.methodNotAllowed('GET, HEAD'));
      return;
    }
    metrics.exposition().then(
      ({ contentType, text }) => {
        res.writeHead(200, {
          'content-type': contentType,
          'content-length': Buffer.byteLength(text),
        });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        options.logger.error({ err: error }, 'could not collect metrics');
        sendError(res, Errors.internal());
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Scrapers keep their connections open; they hold nothing worth waiting for.
        server.closeAllConnections();
      }),
  };
};
