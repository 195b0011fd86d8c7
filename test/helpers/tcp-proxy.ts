import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'up' | 'cut' | 'blackhole' | 'stall';

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
  /**
   * Silently drops, from now on, only the open connections whose client has sent `marker` (e.g.
   * `LISTEN `: the connection that waits for notifications); the others carry on.
   */
  blackholeConnectionsThatSent(marker: string): void;
  /**
   * Keeps connections open and holds what they send, in both directions, until `restore`
   * delivers it: a network that stops for a while and then retransmits. What a connection held
   * when it was closed is never delivered.
   */
  stall(): void;
  /**
   * Carries traffic again; connections caught in a blackhole are reset, as a timed-out network's,
   * and what a stall held is delivered.
   */
  restore(): void;
  /** How many bytes restores delivered to the upstream, in all, from what stalls held. */
  readonly deliveredAfterStalls: number;
  /** How many connections the proxy carries now. */
  readonly connections: number;
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket | null;
  /** What the client sent so far (its first 64 KiB), and whether this connection alone is dropped. */
  sent?: string;
  blackholed?: boolean;
  /** Bytes a stall holds, for the upstream and for the client, in order. */
  readonly held?: { toUpstream: Buffer[]; toClient: Buffer[]; clientEnded: boolean };
}

/**
 * A TCP proxy on 127.0.0.1 that a test puts between heo-power and PostgreSQL or Redis, to inject
 * faults without touching the shared servers themselves.
 */
export const startTcpProxy = async (target: { host: string; port: number }): Promise<TcpProxy> => {
  let mode: ProxyMode = 'up';
  let deliveredAfterStalls = 0;
  const pairs = new Set<Pair>();

  const drop = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.resetAndDestroy();
    pair.upstream?.resetAndDestroy();
  };

  // Half-open: a client's FIN is carried like its data (held in a stall, after what it follows),
  // as TCP does; only a reset throws away what a connection has not delivered yet.
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
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
    const held = { toUpstream: [] as Buffer[], toClient: [] as Buffer[], clientEnded: false };
    const pair: Pair = { client, upstream, held, sent: '', blackholed: false };
    pairs.add(pair);
    const carries = () => mode === 'up' && pair.blackholed !== true;
    // Data is forwarded only while the proxy is up: in a blackhole it is silently dropped, in a
    // stall it is held.
    client.on('data', (chunk: Buffer) => {
      if (pair.sent !== undefined && pair.sent.length < 65_536)
        pair.sent += chunk.toString('latin1');
      if (carries()) upstream.write(chunk);
      else if (mode === 'stall') held.toUpstream.push(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (carries()) client.write(chunk);
      else if (mode === 'stall') held.toClient.push(chunk);
    });
    client.on('end', () => {
      if (mode === 'stall') held.clientEnded = true;
      else upstream.end();
    });
    upstream.on('end', () => client.end());
    client.on('close', (hadError) => {
      // A client that closed gracefully during a stall still has its bytes delivered on restore.
      if (!hadError && held.clientEnded) return;
      drop(pair);
    });
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
    blackholeConnectionsThatSent: (marker) => {
      for (const pair of pairs) if (pair.sent?.includes(marker) === true) pair.blackholed = true;
    },
    stall: () => {
      mode = 'stall';
    },
    restore: () => {
      for (const pair of [...pairs])
        if (mode === 'blackhole' || pair.blackholed === true) drop(pair);
      mode = 'up';
      for (const pair of pairs) {
        if (pair.held === undefined || pair.upstream === null) continue;
        for (const chunk of pair.held.toUpstream.splice(0)) {
          deliveredAfterStalls += chunk.length;
          pair.upstream.write(chunk);
        }
        if (pair.held.clientEnded) pair.upstream.end();
        for (const chunk of pair.held.toClient.splice(0)) pair.client.write(chunk);
      }
    },
    get deliveredAfterStalls() {
      return deliveredAfterStalls;
    },
    get connections() {
      return pairs.size;
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
