export {
  type CallOptions,
  type ConfirmedCallOptions,
  createHeoClient,
  type GameServerPowerResult,
  type HeoClient,
  type HeoClientOptions,
  type VpsPowerResult,
} from './client.js';
export { type ClientErrorCode, type ErrorCode, HeoApiError, isHeoApiError } from './errors.js';
export type { components, operations, paths } from './generated/openapi.js';
