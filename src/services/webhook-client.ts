import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { AddressList } from '../lib/address-list.js';

/**
 * Where webhooks are never sent unless `HEO_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=true`: loopback,
 * private, shared (CGNAT), link-local (the cloud metadata address 169.254.169.254 among them),
 * unspecified, multicast and reserved ranges, in IPv4 and IPv6 (IPv4 written as IPv6 included).
 */
const REFUSED_RANGES = new AddressList([
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  '64:ff9b::/96',
  '100::/64',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
]);

export const isRefusedAddress = (address: string): boolean => REFUSED_RANGES.allows(address);

/** Why an attempt got no answer, in heo-power's words: what deliveries and logs show. */
export type SendFailure = 'refused_address' | 'timeout' | 'tls' | 'unreachable';

export type SendOutcome =
  | { readonly kind: 'answered'; readonly status: number; readonly excerpt: string }
  | { readonly kind: 'failed'; readonly error: SendFailure };

export interface WebhookClientOptions {
  readonly timeoutMs: number;
  readonly allowPrivateAddresses: boolean;
  /** Certificates to trust instead of Node's (tests); unset: the CAs and `NODE_EXTRA_CA_CERTS`. */
  readonly ca?: readonly string[];
}

/** The start of a receiver's answer that is kept, in characters. */
export const EXCERPT_CHARS = 256;

const REFUSED = 'EHEO_REFUSED_ADDRESS';

const refusal = (hostname: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${hostname} resolves to an address webhooks are not sent to`), {
    code: REFUSED,
  });

const codesOf = (error: unknown): string[] => {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, name, cause } = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (typeof name === 'string') codes.push(name);
    current = cause;
  }
  return codes;
};

const classify = (error: unknown): SendFailure => {
  const codes = codesOf(error);
  if (codes.includes(REFUSED)) return 'refused_address';
  if (codes.some((c) => /TIMEOUT|TimeoutError|AbortError/i.test(c))) return 'timeout';
  if (codes.some((c) => /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(c))) return 'tls';
  return 'unreachable';
};

/**
 * Sends webhook requests: HTTPS only, the certificate verified, no redirect followed, one time
 * limit for the whole attempt. The destination's address is checked where the connection is
 * made: the lookup that the connection uses is the one checked, so a name that resolves to an
 * allowed address when checked cannot connect to another one (DNS rebinding).
 */
export class WebhookClient {
  readonly #options: WebhookClientOptions;
  readonly #agent: Agent;

  constructor(options: WebhookClientOptions) {
    this.#options = options;
    const guarded: LookupFunction = (hostname, lookupOptions, callback) => {
      dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
        if (error !== null) {
          callback(error, '', 0);
          return;
        }
        const refused =
          !options.allowPrivateAddresses && addresses.some((a) => isRefusedAddress(a.address));
        if (refused || addresses.length === 0) {
          callback(refusal(hostname), '', 0);
          return;
        }
        if (lookupOptions.all === true) {
          (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
          return;
        }
        const first = addresses[0] as LookupAddress;
        callback(null, first.address, first.family);
      });
    };
    this.#agent = new Agent({
      connect: {
        lookup: guarded,
        timeout: options.timeoutMs,
        ...(options.ca === undefined ? {} : { ca: [...options.ca] }),
      },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connections: 16,
    });
  }

  /** A problem with the URL itself, or `null`: HTTPS, a host, no credentials, no fragment. */
  static problemOf(url: string): string | null {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'not a valid URL';
    }
    if (parsed.protocol !== 'https:') return 'webhook URLs must start with https://';
    if (parsed.username !== '' || parsed.password !== '')
      return 'credentials in the URL are refused';
    if (parsed.hash !== '') return 'a fragment (#…) has no meaning here';
    if (url.length > 2048) return 'at most 2048 characters';
    return null;
  }

  async send(
    url: string,
    headers: Readonly<Record<string, string>>,
    body: string,
  ): Promise<SendOutcome> {
    const target = new URL(url);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    // An address written in the URL is connected to without a lookup: checked here instead.
    if (isIP(host) !== 0 && !this.#options.allowPrivateAddresses && isRefusedAddress(host)) {
      return { kind: 'failed', error: 'refused_address' };
    }
    try {
      const response = await request(target, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'heo-power-webhooks',
          ...headers,
        },
        body,
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      return {
        kind: 'answered',
        status: response.statusCode,
        excerpt: await excerpt(response.body),
      };
    } catch (error) {
      return { kind: 'failed', error: classify(error) };
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/** The first `EXCERPT_CHARS` characters of a body; the rest is not read. */
const excerpt = async (body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= EXCERPT_CHARS * 4) break;
    }
  } catch {
    // A body cut short still leaves what came.
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, EXCERPT_CHARS);
};
