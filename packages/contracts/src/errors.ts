/** Error codes of the contract and the HTTP status each one travels with. */
export const ERROR_STATUS = {
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  forbidden: 403,
  forbidden_origin: 403,
  not_found: 404,
  room_not_found: 404,
  email_taken: 409,
  username_taken: 409,
  room_exists: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export interface ErrorResponse {
  error: ErrorBody;
}
