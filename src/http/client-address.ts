import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { TrustProxy } from '../config.js';

/** Which peers to believe about `X-Forwarded-For`, in the form Fastify's `trustProxy` takes. */
export type ProxyTrust = boolean | string[] | ((address: string, hop: number) => boolean);

/**
 * `HEO_TRUST_PROXY` as Fastify's `trustProxy` takes it: a hop count N trusts the N nearest
 * proxies, so the client is the N-th address from the right.
 */
export const proxyTrustOf = (trust: TrustProxy): ProxyTrust => {
  if (typeof trust === 'boolean') return trust;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return [...trust];
};

/**
 * The client address of a request as Fastify's `request.ip` computes it for the same trust: the
 * socket's peer, or the nearest address in `X-Forwarded-For` that is not a trusted proxy. Used
 * for requests served outside Fastify, so that both record the same address.
 */
export const clientAddressOf = (
  trust: ProxyTrust,
): ((req: IncomingMessage) => string | undefined) => {
  if (trust === false) return (req) => req.socket.remoteAddress;
  const trusted =
    trust === true ? () => true : typeof trust === 'function' ? trust : proxyAddr.compile(trust);
  return (req) => proxyAddr.all(req, trusted).at(-1);
};
