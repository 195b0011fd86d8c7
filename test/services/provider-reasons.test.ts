import { describe, expect, it } from 'vitest';
import { failureOf as proxmoxFailure } from '../../src/providers/proxmox/proxmox-reply.js';
import { failureOf as panelFailure } from '../../src/providers/pterodactyl/pterodactyl-reply.js';
import { reasonOf } from '../../src/services/action-sender.js';

describe('why a 502: what a client is told of a back-end refusal', () => {
  it('maps every failure to a stable reason', () => {
    expect(
      (
        [
          'unreachable',
          'tls',
          'timeout',
          'conflict',
          'not_running',
          'suspended',
          'auth',
          'not_found',
          'rejected',
          'upstream_error',
          'unsupported',
          'rate_limited',
        ] as const
      ).map((failure) => [failure, reasonOf(failure)]),
    ).toEqual([
      ['unreachable', 'provider_unreachable'],
      ['tls', 'provider_unreachable'],
      ['timeout', 'provider_timeout'],
      ['conflict', 'machine_busy'],
      ['not_running', 'machine_not_running'],
      ['suspended', 'machine_suspended'],
      ['auth', 'provider_rejected'],
      ['not_found', 'provider_rejected'],
      ['rejected', 'provider_rejected'],
      ['upstream_error', 'provider_rejected'],
      ['unsupported', 'provider_rejected'],
      ['rate_limited', 'provider_rejected'],
    ]);
  });

  it('tells a stopped, a locked and a suspended guest apart in Proxmox answers', () => {
    expect(proxmoxFailure(500, 'VM 100 not running')).toBe('not_running');
    expect(
      proxmoxFailure(500, "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout"),
    ).toBe('upstream_error');
    expect(proxmoxFailure(500, 'VM is locked (backup)')).toBe('conflict');
    expect(proxmoxFailure(500, 'VM is locked (suspended)')).toBe('suspended');
    expect(proxmoxFailure(500, 'VM 100 already running')).toBe('conflict');
  });

  it('tells a suspended server apart from other 409s of a panel', () => {
    expect(
      panelFailure(
        409,
        'This server is currently suspended and the functionality requested is unavailable.',
      ),
    ).toBe('suspended');
    expect(panelFailure(409, 'This server is currently being transferred.')).toBe('conflict');
    expect(panelFailure(409)).toBe('conflict');
  });
});
