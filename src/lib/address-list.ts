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
