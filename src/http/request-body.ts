import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import secureJson from 'secure-json-parse';
import { type Refusal, Refusals } from '../domain/refusal.js';
import type { MaybePromise } from '../lib/maybe-async.js';

/** What a power request's body turned out to be: a value (`undefined`: no body) or a refusal. */
export type BodyReading =
  { readonly refusal: null; readonly value: unknown } | { readonly refusal: Refusal };

export const NO_BODY: BodyReading = Object.freeze({ refusal: null, value: undefined });

const refused = (refusal: Refusal): BodyReading => ({ refusal });

/** Requests with no body: nothing to read, so nothing to refuse. */
export const hasNoBody = (headers: IncomingHttpHeaders): boolean =>
  headers['content-type'] === undefined &&
  headers['transfer-encoding'] === undefined &&
  (headers['content-length'] === undefined || headers['content-length'] === '0');

const isJsonType = (contentType: string | undefined): boolean => {
  if (contentType === undefined) return false;
  const end = contentType.indexOf(';');
  const mediaType = (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase();
  return mediaType === 'application/json';
};

/** A body sent compressed (or otherwise encoded) is not the JSON its label says. */
const isEncoded = (headers: IncomingHttpHeaders): boolean => {
  const encoding = headers['content-encoding'];
  return encoding !== undefined && encoding.trim().toLowerCase() !== 'identity';
};

/**
 * What a complete body says. An empty body is no body, whatever its labels; any other body must be
 * unencoded JSON (`Content-Type: application/json`), parsed without prototype poisoning.
 */
const understood = (headers: IncomingHttpHeaders, bytes: Buffer): BodyReading => {
  if (bytes.length === 0) return NO_BODY;
  if (!isJsonType(headers['content-type']) || isEncoded(headers))
    return refused(Refusals.body_not_json);
  const text = bytes.toString('utf8');
  if (text.trim() === '') return NO_BODY;
  try {
    return { refusal: null, value: secureJson.parse(text, undefined, PARSE_OPTIONS) };
  } catch {
    return refused(Refusals.body_malformed);
  }
};

const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/** The body reads under way, by connection, so that a request time-out can end them. */
const reading = new WeakMap<Socket, () => void>();

/**
 * Ends the body read under way on `socket` as timed out, so that the power path answers its
 * request (408, recorded like every refusal); `false` when no body is being read there.
 */
export const timeOutBodyRead = (socket: Socket): boolean => {
  const timeOut = reading.get(socket);
  if (timeOut === undefined) return false;
  timeOut();
  return true;
};

/**
 * Reads a request's body, up to `limitBytes`: the body step of the power pipeline. Without a
 * promise when there is no body. Past the limit, reading stops and the rest is left to Node,
 * which discards it; a body shorter or longer than its `Content-Length` is refused.
 */
export const readBody = (req: IncomingMessage, limitBytes: number): MaybePromise<BodyReading> => {
  const { headers } = req;
  if (hasNoBody(headers)) return NO_BODY;
  const declared = Number(headers['content-length']);
  if (declared > limitBytes) return refused(Refusals.body_too_large);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    // Absent on requests injected without a socket.
    const socket = req.socket as Socket | null;
    const settle = (outcome: BodyReading): void => {
      if (socket !== null) reading.delete(socket);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
      resolve(outcome);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limitBytes) settle(refused(Refusals.body_too_large));
      else chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (!Number.isNaN(declared) && received !== declared) {
        settle(refused(Refusals.body_length_mismatch));
        return;
      }
      settle(understood(headers, Buffer.concat(chunks, received)));
    };
    const onError = (): void => {
      settle(refused(Refusals.body_incomplete));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
    if (socket !== null) reading.set(socket, () => settle(refused(Refusals.request_timeout)));
    req.resume();
  });
};
