import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/** The exact bytes of the error envelope of the reference. */
export const errorBody = (error: string, message: string): string =>
  JSON.stringify({ success: false, error, message });

export const expectJson = (res: LightMyRequestResponse): void => {
  expect(res.headers['content-type']).toMatch(/^application\/json(;|$)/);
};

export const expectError = (
  res: LightMyRequestResponse,
  status: number,
  error: string,
  message: string,
): void => {
  expect({ status: res.statusCode, body: res.body }).toEqual({
    status,
    body: errorBody(error, message),
  });
  expectJson(res);
};

/** The published 502 and, beside its envelope, why the back-end did not take the action. */
export const expectProviderError = (res: LightMyRequestResponse, reason: string): void => {
  expect({ status: res.statusCode, body: res.body }).toEqual({
    status: 502,
    body: JSON.stringify({
      success: false,
      error: 'provider_error',
      message: 'Failed to send action',
      reason,
    }),
  });
  expectJson(res);
};

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/**
 * The key with its last character changed, so that its checksum no longer matches. Always a
 * different character: replacing it with a fixed one left the key intact whenever it already
 * ended in that character.
 */
export const withBadChecksum = (key: string): string =>
  `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
