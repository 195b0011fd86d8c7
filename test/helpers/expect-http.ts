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

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
