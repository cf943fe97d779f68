/** Where a Redis layer reports what it skipped or could not do. A `console` fits. */
export interface RedisLayerLogger {
  /** Routine events: a group member over capacity, a reconnection. */
  info(message: string, ...details: unknown[]): void
  /** Something was skipped: an undecodable entry, a lost connection. */
  warn(message: string, ...details: unknown[]): void
  /** A background task failed unexpectedly. */
  error(message: string, ...details: unknown[]): void
}

/** The default logger: warnings and errors go to the console, info is dropped (as Python's default logging level does). */
export const defaultLogger: RedisLayerLogger = {
  info: () => {},
  warn: (message, ...details) => console.warn(message, ...details),
  error: (message, ...details) => console.error(message, ...details),
}
