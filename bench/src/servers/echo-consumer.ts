import { WebsocketConsumer, type WebsocketFrame } from '@node-channels/core'

/** Sends every frame back to its sender: the node-channels echo of the benchmark and its tools. */
export class EchoConsumer extends WebsocketConsumer {
  override async receive(frame: WebsocketFrame): Promise<void> {
    await this.send(frame)
  }
}
