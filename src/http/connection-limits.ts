import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Longest a client may take to send a whole request, headers and body, from its first byte. */
  readonly requestTimeoutMs: number;
  /** Most connections open at once from one address, as the socket sees it; 0: no cap. */
  readonly maxPerClient: number;
}

/**
 * How often Node looks for requests past their time-out: a quarter of it, at most every second,
 * so that a 408 leaves at most that long after the time-out.
 */
export const checkingIntervalMs = (requestTimeoutMs: number): number =>
  Math.max(10, Math.min(1_000, Math.floor(requestTimeoutMs / 4)));

/**
 * The options of Node's server that bound a request's arrival: headers and the whole request must
 * arrive within the time-out (Node counts from the connection's opening, then from each request's
 * first byte), else the client error handler answers 408.
 */
export const serverTimeouts = (limits: ConnectionLimits) => ({
  requestTimeout: limits.requestTimeoutMs,
  headersTimeout: limits.requestTimeoutMs,
  connectionsCheckingInterval: checkingIntervalMs(limits.requestTimeoutMs),
});

/**
 * Caps the connections one address holds at once: one more is closed as soon as it is accepted,
 * before anything is read from it (as Node's own `maxConnections` does for the whole server).
 * Without a cap, one client that opens connections and never finishes its requests holds the
 * process's file descriptors until nobody else can connect.
 */
export const capConnectionsPerClient = (server: Server, maxPerClient: number): void => {
  if (maxPerClient <= 0) return;
  const open = new Map<string, number>();
  // Before the HTTP server's own listener, so that a refused connection is never parsed.
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    const count = address === undefined ? maxPerClient : (open.get(address) ?? 0);
    if (address === undefined || count >= maxPerClient) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
};
