import { path, type Route, rePath } from '@node-channels/router'
import { ChatConsumer, type ChatConsumerInit } from './consumers.js'
import { AppendSlashConsumer, PageConsumer, RoomPageConsumer } from './pages.js'
import { RoomFeedConsumer } from './room-feed.js'
import { StaticFilesConsumer } from './static-files.js'

// One URL segment, bounded before the consumer's zod check sees it (`roomNameSchema`).
const ROOM = '(?<room_name>[^/]{1,200})'

/**
 * The WebSocket routes: the tutorial's `websocket_urlpatterns`
 * (`re_path(r"ws/chat/(?P<room_name>\w+)/$", consumers.ChatConsumer.as_asgi())`).
 */
export function websocketUrlpatterns(init: ChatConsumerInit): Route[] {
  return [rePath(new RegExp(`^ws/chat/${ROOM}/$`, 'u'), ChatConsumer.asAsgi(init))]
}

/**
 * The HTTP routes, served by the same process: the index page, the room page, the static
 * assets, and a 404 page for everything else. `publicDir` holds the pages; `publicDir/static`
 * the assets.
 */
export function httpUrlpatterns(publicDir: string): Route[] {
  const root = publicDir
  return [
    path('', PageConsumer.asAsgi({ root, page: 'index.html' })),
    rePath(
      new RegExp(`^chat/${ROOM}/$`, 'u'),
      RoomPageConsumer.asAsgi({ root, page: 'room.html' }),
    ),
    rePath(new RegExp(`^chat/${ROOM}/events$`, 'u'), RoomFeedConsumer.asAsgi()),
    rePath(new RegExp(`^chat/${ROOM}$`, 'u'), AppendSlashConsumer.asAsgi()),
    rePath(/^static\/(?<path>.+)$/s, StaticFilesConsumer.asAsgi({ root: `${root}/static` })),
    rePath(/^/, PageConsumer.asAsgi({ root, page: '404.html', status: 404 })),
  ]
}
