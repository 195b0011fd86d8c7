import { BlockList, isIP } from 'node:net';

/** `192.0.2.7`, `192.0.2.0/24`, `2001:db8::1` or `2001:db8::/32`, normalised; else `null`. */
export const parseAddressRange = (text: string): string | null => {
  const [address = '', prefix, ...rest] = text.trim().split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return null;
  const max = family === 4 ? 32 : 128;
  if (prefix === undefined) return `${address.toLowerCase()}/${max}`;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return null;
  return `${address.toLowerCase()}/${Number(prefix)}`;
};

/** An IPv4 address written as IPv6 (`::ffff:192.0.2.7`) is the IPv4 address. */
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The eight 16-bit groups of an IPv6 address (`isIP` already said it is one), zone dropped. */
const ipv6Groups = (address: string): number[] => {
  const plain = address.split('%')[0] ?? '';
  const toGroups = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((group) => {
      if (!group.includes('.')) return [parseInt(group, 16)];
      const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const [head = '', tail] = plain.split('::');
  const left = toGroups(head);
  if (tail === undefined) return left;
  const right = toGroups(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
};

/**
 * Who a failure budget counts for an address: an IPv4 address itself (also when written as
 * IPv6, `::ffff:192.0.2.7`), and an IPv6 address by its /64 network (`2001:db8:0:1::/64`), the
 * block one subscriber is given: an attacker who owns a /64 cannot buy a fresh budget, and a
 * fresh entry in memory, with each of its 2^64 addresses.
 */
export const budgetSubject = (address: string): string => {
  const mapped = IPV4_MAPPED.exec(address)?.[1];
  if (mapped !== undefined) return mapped;
  if (isIP(address.split('%')[0] ?? '') !== 6) return address;
  const network = ipv6Groups(address)
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':');
  return `${network}::/64`;
};

/**
 * Which client addresses a key may be used from: a set of IPv4 and IPv6 addresses and networks,
 * matched with Node's `BlockList`.
 */
export class AddressList {
  readonly #list = new BlockList();

  /** `ranges` as `parseAddressRange` normalises them. */
  constructor(ranges: readonly string[]) {
    for (const range of ranges) {
      const [address = '', prefix = ''] = range.split('/');
      const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      this.#list.addSubnet(address, Number(prefix), family);
    }
  }

  allows(address: string | undefined): boolean {
    if (address === undefined) return false;
    const mapped = IPV4_MAPPED.exec(address)?.[1];
    const plain = mapped ?? address;
    const family = isIP(plain);
    if (family === 0) return false;
    return this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}
