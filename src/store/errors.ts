/** A row with the same identity already exists. */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
}

/** The change would leave a dangling reference (e.g. removing a provider still in use). */
export class StoreReferenceError extends Error {
  override readonly name = 'StoreReferenceError';
}

/** The store cannot be reached or is not answering in time. */
export class StoreUnavailableError extends Error {
  override readonly name: string = 'StoreUnavailableError';
}

/**
 * Another connection holds the write lock right now (SQLite). Worth trying again shortly, which
 * a server does without blocking its event loop on the lock.
 */
export class StoreBusyError extends StoreUnavailableError {
  override readonly name = 'StoreBusyError';
}

/** The schema is older than this build expects. */
export class SchemaOutdatedError extends Error {
  override readonly name = 'SchemaOutdatedError';
}

/** A page cursor the store did not make (mistyped, cut short, or from the other log). */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}
