import { type Message, WebsocketConsumer, type WebsocketFrame } from '@node-channels/core'

/** The group the tools' members join. */
export const GROUP = 'path'
/** The text every group message carries (64 bytes). */
export const TEXT = 'x'.repeat(64)

/** Joins the group on connect. */
class GroupMember extends WebsocketConsumer {
  override async connect(): Promise<void> {
    await this.channelLayer?.groupAdd(GROUP, this.channelName)
    await this.accept()
  }
}

/** The member consumer: sends each group message to its client from an async handler. */
export class Member extends GroupMember {
  async chat_message(event: Message): Promise<void> {
    await this.send({ textData: String(event.text) })
  }
}

/** The same member, relaying `chat.message` instead of handling it. */
export class RelayingMember extends Member {
  static override relays = {
    'chat.message': (event: Message): WebsocketFrame => ({ textData: String(event.text) }),
  }
}

/** The same member with a synchronous handler (it does not wait for its send). */
export class SyncMember extends GroupMember {
  chat_message(event: Message): void {
    void this.send({ textData: String(event.text) })
  }
}
