import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'up' | 'cut' | 'blackhole';

export interface TcpProxy {
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  /** Resets every connection and refuses new ones at once, as a crashed server would. */
  cut(): void;
  /**
   * Keeps connections open but carries nothing in either direction, and accepts new ones that go
   * nowhere: a network that silently drops packets.
   */
  blackhole(): void;
  /** Carries traffic again; connections caught in a blackhole are reset, as a timed-out network's. */
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket | null;
}

/**
 * A TCP proxy on 127.0.0.1 that a test puts between heo-power and PostgreSQL or Redis, to inject
 * faults without touching the shared servers themselves.
 */
export const startTcpProxy = async (target: { host: string; port: number }): Promise<TcpProxy> => {
  let mode: ProxyMode = 'up';
  const pairs = new Set<Pair>();

  const drop = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.resetAndDestroy();
    pair.upstream?.resetAndDestroy();
  };

  const server: Server = createServer((client) => {
    client.on('error', () => undefined);
    if (mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'blackhole') {
      const pair = { client, upstream: null };
      pairs.add(pair);
      client.on('close', () => pairs.delete(pair));
      return;
    }
    const upstream = connect(target);
    upstream.on('error', () => undefined);
    const pair = { client, upstream };
    pairs.add(pair);
    // Data is forwarded only while the proxy is up: in a blackhole it is silently dropped.
    client.on('data', (chunk: Buffer) => {
      if (mode === 'up') upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (mode === 'up') client.write(chunk);
    });
    client.on('close', () => drop(pair));
    upstream.on('close', () => drop(pair));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const port = address.port;

  return {
    port,
    via: (url) => {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    cut: () => {
      mode = 'cut';
      for (const pair of [...pairs]) drop(pair);
    },
    blackhole: () => {
      mode = 'blackhole';
    },
    restore: () => {
      if (mode === 'blackhole') for (const pair of [...pairs]) drop(pair);
      mode = 'up';
    },
    close: async () => {
      mode = 'cut';
      for (const pair of [...pairs]) drop(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

/** Host and port of a `postgres://` or `redis://` URL. */
export const targetOf = (url: string): { host: string; port: number } => {
  const parsed = new URL(url);
  const defaultPort = parsed.protocol.startsWith('redis') ? 6379 : 5432;
  return { host: parsed.hostname, port: parsed.port === '' ? defaultPort : Number(parsed.port) };
};
