import { describe, expect, it } from 'vitest';
import { canAccess, type Principal } from '../../src/domain/access.js';
import { parseDuration } from '../../src/domain/duration.js';
import { isValidId } from '../../src/domain/ids.js';
import { FAMILIES, GAME_FAMILY, isConfirmed, VPS_FAMILY } from '../../src/domain/power.js';
import { successBody, successJson } from '../../src/http/power-answers.js';

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['30d', 2_592_000_000],
    ['3650d', 315_360_000_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '0s', '-1d', '1.5h', '10', '10w', '1 d', '3651d', '01s', '1D'])(
    '%j is refused',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );
});

describe('confirmation', () => {
  it.each([
    [{ force: 'true' }, undefined, true],
    [{}, { force: true }, true],
    [{}, { force: 'true' }, true],
    [{ force: 'false' }, { force: true }, true],
    [{ force: 'True' }, undefined, false],
    [{ force: ['true', 'true'] }, undefined, false],
    [{}, { force: 1 }, false],
    [{}, [{ force: true }], false],
    [{}, 'force=true', false],
    [{}, null, false],
    [undefined, undefined, false],
  ])('query %j, body %j: %s', (query, body, expected) => {
    expect(isConfirmed(query, body)).toBe(expected);
  });
});

describe('success bodies', () => {
  it('follow the field order of the reference', () => {
    expect(JSON.stringify(successBody(VPS_FAMILY, 'reset', 'vps_1'))).toBe(
      '{"success":true,"action":"reset","vps_id":"vps_1","status":"requested","message":"Reset action sent"}',
    );
    expect(JSON.stringify(successBody(GAME_FAMILY, 'kill', 'srv_1'))).toBe(
      '{"success":true,"action":"kill","server_id":"srv_1","status":"requested","message":"Kill action sent"}',
    );
  });
});

describe('success bodies serialised in advance', () => {
  const cases = FAMILIES.flatMap((family) =>
    family.actions.map((action) => [family.type, action, family] as const),
  );
  it.each(cases)('%s %s gives the bytes of JSON.stringify', (_type, action, family) => {
    for (const id of ['vps_123', 'a', 'x'.repeat(128), 'a"b\\c', 'é\u0000']) {
      expect(successJson(family, action)(id)).toBe(JSON.stringify(successBody(family, action, id)));
    }
  });
});

describe('access', () => {
  const key = (resources: string[] | null): Principal => ({
    keyId: 'key_1',
    customerId: 'cus_a',
    scope: 'power',
    allowsAddress: null,
    resources: resources === null ? null : new Set(resources),
  });
  const vps = { type: 'vps' as const, id: 'vps_1', customerId: 'cus_a' };

  it('is denied by default', () => {
    expect(canAccess(key(null), undefined)).toBe(false);
    expect(canAccess(key(null), { ...vps, customerId: 'cus_b' })).toBe(false);
    expect(canAccess(key(['vps:vps_2']), vps)).toBe(false);
    expect(canAccess(key(['game:vps_1']), vps)).toBe(false);
    expect(canAccess(key([]), vps)).toBe(false);
  });

  it('is granted for the customer’s own resource within the key’s list', () => {
    expect(canAccess(key(null), vps)).toBe(true);
    expect(canAccess(key(['vps:vps_1']), vps)).toBe(true);
  });
});

describe('ids', () => {
  it.each(['vps_123', 'srv-1', 'a', 'A.b:c-d_e', 'x'.repeat(128)])('%s is valid', (id) =>
    expect(isValidId(id)).toBe(true),
  );
  it.each(['', '_x', 'a b', 'a/b', 'a\u0000', 'é', 'x'.repeat(129), '.hidden'])(
    '%j is not',
    (id) => {
      expect(isValidId(id)).toBe(false);
    },
  );
});
