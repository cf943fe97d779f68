// Test communicators: run an application with no server, as Channels' testing module does.
// The channel-layer contract suite imports vitest, so it has its own entry point:
// `@node-channels/testing/layer-contract`.
export type {
  ReceiveNothingOptions,
  TimeoutOptions,
} from './application-communicator.js'
export {
  ApplicationCommunicator,
  CancelledError,
  TimeoutError,
} from './application-communicator.js'
export type { HttpCommunicatorOptions, HttpResponse } from './http-communicator.js'
export { HttpCommunicator } from './http-communicator.js'
export type { LiveServer, LiveServerOptions } from './live-server.js'
export { startLiveServer } from './live-server.js'
export type { TestPath } from './test-path.js'
export { parseTestPath } from './test-path.js'
export type {
  ConnectResult,
  FrameToSend,
  WebsocketCommunicatorOptions,
} from './websocket-communicator.js'
export { WebsocketCommunicator } from './websocket-communicator.js'
