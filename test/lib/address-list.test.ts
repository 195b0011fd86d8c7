import { describe, expect, it } from 'vitest';
import { AddressList, parseAddressRange } from '../../src/lib/address-list.js';

describe('address ranges', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7/32'],
    ['192.0.2.0/24', '192.0.2.0/24'],
    [' 10.0.0.0/8 ', '10.0.0.0/8'],
    ['2001:DB8::1', '2001:db8::1/128'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
  ])('reads %s as %s', (text, range) => {
    expect(parseAddressRange(text)).toBe(range);
  });

  it.each([
    '',
    'localhost',
    '192.0.2.256',
    '192.0.2.0/33',
    '2001:db8::/129',
    '10.0.0.0/8/1',
    '10.0.0.0/x',
    '10.0.0.0/',
  ])('refuses %j', (text) => {
    expect(parseAddressRange(text)).toBeNull();
  });

  it('matches IPv4, IPv6 and IPv4 written as IPv6', () => {
    const list = new AddressList(['192.0.2.0/24', '2001:db8::/32', '198.51.100.7/32']);
    expect(
      [
        '192.0.2.1',
        '192.0.3.1',
        '::ffff:192.0.2.9',
        '::ffff:192.0.3.9',
        '2001:db8:1::5',
        '2001:db9::5',
        '198.51.100.7',
        '198.51.100.8',
        'not-an-address',
        undefined,
      ].map((address) => list.allows(address)),
    ).toEqual([true, false, true, false, true, false, true, false, false, false]);
  });
});
