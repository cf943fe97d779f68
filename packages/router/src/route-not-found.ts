import { quote } from './quote.js'

/**
 * No route matched the path. Thrown by the outermost `URLRouter` with Channels' message
 * (`No route found for path 'x/12/extra'.`); the protocol server recognises it by
 * `error.name === 'RouteNotFound'` and answers 404 (Daphne answers 500 to Channels' ValueError).
 */
export class RouteNotFound extends Error {
  override name = 'RouteNotFound'
  /** The path that was routed: without `root_path` and leading slashes, as in the message. */
  readonly path: string

  constructor(path: string, options?: ErrorOptions) {
    super(`No route found for path ${quote(path)}.`, options)
    this.path = path
  }
}
