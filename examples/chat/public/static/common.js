// Shared by the index and room pages: the same rules the server checks (src/protocol.ts and
// src/rooms.ts), so mistakes are caught before a round trip, plus small display helpers.
// The server stays the authority: it refuses what breaks these rules with a clear error.

export const MESSAGE_MAX_LENGTH = 500
export const NICKNAME_MAX_LENGTH = 24
export const ROOM_NAME_MAX_LENGTH = 40

const NICKNAME = /^[\p{L}\p{N}](?:[\p{L}\p{N}\p{M} _.'-]*[\p{L}\p{N}\p{M}_.])?$/u
const ROOM_NAME = /^[\p{L}\p{N}\p{M}_-]+$/u

/** Returns an error sentence for a bad nickname, or null. */
export function nicknameProblem(value) {
  const nickname = value.trim().normalize('NFC')
  if (nickname.length === 0) return 'Choose a nickname first.'
  if (nickname.length > NICKNAME_MAX_LENGTH) {
    return `A nickname can be at most ${NICKNAME_MAX_LENGTH} characters long.`
  }
  if (!NICKNAME.test(nickname)) {
    return "A nickname starts with a letter or digit and holds only letters, digits, spaces, _ . ' -"
  }
  return null
}

/** Returns an error sentence for a bad room name, or null. */
export function roomProblem(value) {
  const room = value.normalize('NFC')
  if (room.length === 0) return 'A room name cannot be empty.'
  if ([...room].length > ROOM_NAME_MAX_LENGTH) {
    return `A room name can be at most ${ROOM_NAME_MAX_LENGTH} characters long.`
  }
  if (!ROOM_NAME.test(room)) return 'A room name can hold only letters, digits, "_" and "-".'
  return null
}

const NICKNAME_KEY = 'chat.nickname'
const RECENT_KEY = 'chat.recentRooms'

/** The nickname remembered from last time, or ''. */
export function savedNickname() {
  try {
    return localStorage.getItem(NICKNAME_KEY) ?? ''
  } catch {
    return ''
  }
}

export function saveNickname(nickname) {
  try {
    localStorage.setItem(NICKNAME_KEY, nickname)
  } catch {
    // Storage may be disabled; the nickname is then asked for again next time.
  }
}

/** Up to six recently visited rooms, most recent first. */
export function recentRooms() {
  try {
    const rooms = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]')
    return Array.isArray(rooms)
      ? rooms.filter((room) => typeof room === 'string' && !roomProblem(room)).slice(0, 6)
      : []
  } catch {
    return []
  }
}

export function rememberRoom(room) {
  try {
    const rooms = [room, ...recentRooms().filter((known) => known !== room)].slice(0, 6)
    localStorage.setItem(RECENT_KEY, JSON.stringify(rooms))
  } catch {
    // As above: nothing to remember with.
  }
}

/** The room page's URL for a room name. */
export function roomUrl(room) {
  return `/chat/${encodeURIComponent(room.normalize('NFC'))}/`
}

/** A stable, pleasant colour for a nickname. */
export function avatarColor(name) {
  let hash = 0
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) >>> 0
  return `hsl(${hash % 360} 55% 52%)`
}

/** One or two initials for an avatar. */
export function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean)
  const letters =
    words.length > 1
      ? [words[0], words[1]].map((word) => [...word][0])
      : [...(words[0] ?? '?')].slice(0, 1)
  return letters.join('').toUpperCase()
}

/** Creates an element with a class and text (never HTML: user text is never parsed). */
export function element(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

/** An avatar circle for a nickname. */
export function avatar(name, small = false) {
  const node = element('span', small ? 'avatar avatar--small' : 'avatar', initials(name))
  node.style.background = avatarColor(name)
  node.setAttribute('aria-hidden', 'true')
  return node
}
