import { KEY_LENGTH, KEY_PREFIX } from '../../domain/api-key.js';
import { type ApiError, Errors } from '../api-errors.js';
import { FAMILIES } from '../../domain/power.js';
import { BODY_LIMIT_BYTES } from '../body-parsers.js';

const envelope = (error: ApiError): string => `\`${JSON.stringify(error.toBody())}\``;

const confirmActions = FAMILIES.flatMap((family) =>
  [...family.confirm].map((action) => `\`${action}\` (${family.noun})`),
).join(' and ');

/**
 * The introduction of the OpenAPI document (Markdown): what holds for every endpoint. Messages come
 * from the error model, so the text cannot drift from what the API answers.
 */
export const overview = (): string =>
  [
    "The power-control API of HEO Systems' hosting: start, stop or reset a VPS; start, stop, " +
      'restart or kill a game server. Every call is authenticated, checked against the resources ' +
      'the key may touch, rate-limited per key, forwarded to the back-end that runs the machine and ' +
      'recorded in an audit log before it is answered.',
    '## Authentication',
    'Every power endpoint needs `Authorization: Bearer <api_key>` (the scheme name in any case). ' +
      `Keys look like \`${KEY_PREFIX}\` followed by ${KEY_LENGTH - KEY_PREFIX.length} letters and digits. ` +
      'A missing, malformed, unknown, ' +
      'revoked or expired key gets the same 401 with `WWW-Authenticate: Bearer`.',
    '## Confirmation',
    `${confirmActions} need confirmation: exactly \`force=true\` in the query string, or a JSON ` +
      'object body whose `force` is `true` or `"true"`. Anything else (`force=1`, `force=TRUE`, ' +
      '`{"force": false}`, no body) is no confirmation and gets 400 `confirmation_required`.',
    '## Request bodies',
    `Bodies are optional. When present they must be JSON (\`Content-Type: application/json\`) and ` +
      `at most ${BODY_LIMIT_BYTES} bytes. An empty body is no body, whatever its content type.`,
    '## Errors',
    'Every error, on every path, is one JSON envelope: `{"success": false, "error": "<code>", ' +
      '"message": "<text>"}`. Checks run in this order and the first that fails answers: route ' +
      '(404, 405), authentication (401), rate limit (429), request body (400, 413, 415), resource ' +
      'access (403), key scope (403), confirmation (400), the back-end (502); a 200 is sent once ' +
      'its audit record is committed.',
    `Any other method on a known path (\`GET\` on a power endpoint, \`POST\` on \`/healthz\`...) ` +
      `answers 405 ${envelope(Errors.methodNotAllowed('POST'))} with \`Allow\` naming the methods ` +
      'the path serves, before authentication: the `MethodNotAllowed` response of the components.',
    'Requests too broken to reach an endpoint are answered on the connection, in the same envelope:',
    [
      '| Status | Body | When |',
      '|---|---|---|',
      `| 400 | ${envelope(Errors.invalidRequest('Malformed HTTP request'))} | not HTTP, e.g. a broken request line |`,
      `| 408 | ${envelope(Errors.requestTimeout())} | the client did not finish sending its request |`,
      `| 431 | ${envelope(Errors.headersTooLarge())} | headers over 16 KiB |`,
    ].join('\n'),
    '## Rate limits',
    'Each key has a number of requests per one-minute window that opens at its first request. ' +
      'Every authenticated response carries `RateLimit-Limit`, `RateLimit-Remaining`, ' +
      '`RateLimit-Reset` and `RateLimit-Policy`; a 429 also carries `Retry-After` (seconds). ' +
      'Refused requests count against the limit.',
    '## Request ids',
    'Every response carries `X-Request-Id`. Send your own (1 to 128 letters, digits, `.`, `_`, ' +
      '`:` or `-`) to have it used in our logs and audit records; otherwise one is generated.',
  ].join('\n\n');
