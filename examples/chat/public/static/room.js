// The room page: joins /ws/chat/<room>/ under a nickname, shows the history, live messages,
// join/leave notices and the member list, and reconnects (a bounded number of times) when the
// connection drops. All user text goes through textContent, never innerHTML.
import {
  avatar,
  element,
  MESSAGE_MAX_LENGTH,
  nicknameProblem,
  rememberRoom,
  roomProblem,
  savedNickname,
  saveNickname,
} from './common.js'

const MAX_RECONNECTS = 10
const GROUP_WINDOW_MS = 5 * 60 * 1000
const TOAST_MS = 6000

const $ = (selector) => document.querySelector(selector)
const log = $('#chat-log')
const input = $('#chat-message-input')
const counter = $('#counter')
const statusPill = $('#status')
const membersList = $('#members')
const sidebar = $('#sidebar')
const dialog = $('#nickname-dialog')
const nicknameInput = $('#nickname-input')
const nicknameError = $('#nickname-error')

const segment = window.location.pathname.split('/')[2] ?? ''
const room = decodeURIComponent(segment).normalize('NFC')
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })

const state = {
  socket: null,
  me: null,
  nickname: savedNickname(),
  maxLength: MESSAGE_MAX_LENGTH,
  reconnects: 0,
  reconnectTimer: null,
  lastSent: '',
  lastAuthor: null,
  lastAt: 0,
}

$('#room-name').textContent = room
document.title = `#${room} · node-channels chat`
input.placeholder = `Message #${room}`

// ---- Connection ----

function socketUrl() {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${window.location.host}/ws/chat/${encodeURIComponent(room)}/`
}

function setStatus(kind, text) {
  statusPill.dataset.state = kind
  statusPill.title = text
  $('#status-text').textContent = text
  document.body.dataset.state = kind
}

function connect() {
  clearTimeout(state.reconnectTimer)
  setStatus('connecting', state.reconnects > 0 ? 'Reconnecting…' : 'Connecting…')
  const socket = new WebSocket(socketUrl())
  state.socket = socket
  socket.addEventListener('open', () => {
    socket.send(JSON.stringify({ type: 'join', nickname: state.nickname }))
  })
  socket.addEventListener('message', (event) => {
    let data
    try {
      data = JSON.parse(event.data)
    } catch {
      return
    }
    handle(data)
  })
  socket.addEventListener('close', () => {
    if (state.socket !== socket) return // replaced on purpose (nickname change)
    state.socket = null
    state.me = null
    if (state.reconnects >= MAX_RECONNECTS) {
      setStatus('offline', 'Disconnected')
      toast('Connection lost', 'The server cannot be reached. Reload the page to try again.')
      return
    }
    const delayMs = Math.min(500 * 2 ** state.reconnects, 10_000)
    state.reconnects += 1
    setStatus('offline', 'Offline')
    state.reconnectTimer = setTimeout(connect, delayMs)
  })
}

function send(message) {
  if (state.socket?.readyState !== WebSocket.OPEN) {
    toast('Not connected', 'Wait for the connection to come back, then try again.')
    return false
  }
  state.socket.send(JSON.stringify(message))
  return true
}

// ---- Server messages ----

function handle(data) {
  switch (data.type) {
    case 'welcome':
      state.me = data.you
      state.reconnects = 0
      state.maxLength = data.maxMessageLength
      $('#you').textContent = data.you.nickname
      setStatus('online', 'Connected')
      updateCounter()
      break
    case 'history':
      log.replaceChildren()
      state.lastAuthor = null
      for (const entry of data.messages) addMessage(entry)
      if (data.messages.length === 0) showEmpty()
      addNotice(`You joined #${room} as ${state.me?.nickname ?? state.nickname}`)
      scrollToEnd(true)
      break
    case 'message':
      addMessage(data)
      scrollToEnd(data.authorId === state.me?.id)
      break
    case 'members':
      renderMembers(data.members)
      break
    case 'joined':
      addNotice(`${data.member.nickname} joined`)
      scrollToEnd(false)
      break
    case 'left':
      addNotice(
        data.reason === 'timeout'
          ? `${data.member.nickname} dropped out (connection lost)`
          : `${data.member.nickname} left`,
      )
      scrollToEnd(false)
      break
    case 'error':
      onError(data)
      break
  }
}

function onError(error) {
  const aboutNickname = error.issues?.some((issue) => issue.path === 'nickname')
  if (aboutNickname) {
    askNickname(error.message)
    return
  }
  toast('Message not sent', error.message)
  if (error.code === 'invalid_message' && input.value === '' && state.lastSent) {
    input.value = state.lastSent
    updateCounter()
    autoGrow()
  }
}

// ---- Rendering ----

function showEmpty() {
  const empty = element('li', 'empty')
  empty.id = 'empty'
  empty.append(element('span', '', 'No messages yet. Say hello!'))
  log.append(empty)
}

function addMessage(entry) {
  $('#empty')?.remove()
  const own = entry.authorId === state.me?.id
  const continued =
    state.lastAuthor === entry.authorId && entry.sentAt - state.lastAt < GROUP_WINDOW_MS
  const item = element(
    'li',
    `message${own ? ' message--own' : ''}${continued ? ' message--continued' : ''}`,
  )
  item.dataset.id = entry.id
  const meta = element('div', 'meta')
  meta.append(element('span', 'author', entry.nickname))
  const time = element('time', 'time', timeFormat.format(entry.sentAt))
  time.dateTime = new Date(entry.sentAt).toISOString()
  meta.append(time)
  const body = element('p', 'body', entry.message)
  item.append(avatar(entry.nickname), meta, body)
  if (continued) item.title = timeFormat.format(entry.sentAt)
  log.append(item)
  state.lastAuthor = entry.authorId
  state.lastAt = entry.sentAt
}

function addNotice(text) {
  const item = element('li', 'notice')
  item.append(element('span', '', text))
  log.append(item)
  state.lastAuthor = null
}

function renderMembers(members) {
  membersList.replaceChildren(
    ...members.map((member) => {
      const item = element('li', 'member')
      item.dataset.id = member.id
      const face = avatar(member.nickname, true)
      face.classList.add('online-dot')
      item.append(face, element('span', 'member-name', member.nickname))
      if (member.id === state.me?.id) item.append(element('span', 'member-you', 'you'))
      return item
    }),
  )
  $('#member-count').textContent = String(members.length)
  $('#member-count-toggle').textContent = String(members.length)
}

function scrollToEnd(force) {
  const nearEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 160
  if (force || nearEnd) log.scrollTop = log.scrollHeight
}

function toast(title, text) {
  const node = element('div', 'toast')
  const close = element('button', 'toast-close', '×')
  close.type = 'button'
  close.setAttribute('aria-label', 'Dismiss')
  const content = element('div')
  content.append(element('p', 'toast-title', title), element('p', 'toast-text', text))
  node.append(element('span', 'toast-icon', '!'), content, close)
  const remove = () => node.remove()
  close.addEventListener('click', remove)
  setTimeout(remove, TOAST_MS)
  const toasts = $('#toasts')
  toasts.append(node)
  while (toasts.children.length > 3) toasts.firstElementChild.remove()
}

// ---- Composer ----

function updateCounter() {
  const length = input.value.trim().length
  counter.textContent = `${length}/${state.maxLength}`
  counter.dataset.level =
    length > state.maxLength ? 'over' : length > state.maxLength * 0.9 ? 'near' : 'ok'
}

function autoGrow() {
  input.style.height = 'auto'
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`
}

input.addEventListener('input', () => {
  updateCounter()
  autoGrow()
})

input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault()
    $('#composer').requestSubmit()
  }
})

$('#composer').addEventListener('submit', (event) => {
  event.preventDefault()
  const message = input.value.trim()
  if (message === '') return
  // Sent as typed: the server checks the length and answers with an error if it is too long.
  if (!send({ type: 'message', message })) return
  state.lastSent = message
  input.value = ''
  updateCounter()
  autoGrow()
  input.focus()
})

// ---- Nickname ----

function askNickname(problem) {
  nicknameInput.value = state.nickname
  nicknameError.textContent = problem ?? ''
  nicknameInput.setAttribute('aria-invalid', problem ? 'true' : 'false')
  if (state.me === null) setStatus('connecting', 'Choose a nickname')
  if (!dialog.open) dialog.showModal()
  nicknameInput.focus()
}

$('#nickname-form').addEventListener('submit', (event) => {
  const problem = nicknameProblem(nicknameInput.value)
  if (problem) {
    event.preventDefault()
    nicknameError.textContent = problem
    nicknameInput.setAttribute('aria-invalid', 'true')
    return
  }
  state.nickname = nicknameInput.value.trim().normalize('NFC')
  saveNickname(state.nickname)
  if (state.socket && state.me === null && state.socket.readyState === WebSocket.OPEN) {
    send({ type: 'join', nickname: state.nickname }) // the server refused the previous one
  } else {
    const old = state.socket
    state.socket = null
    old?.close(1000)
    state.reconnects = 0
    connect()
  }
})

dialog.addEventListener('cancel', (event) => {
  if (state.me === null) event.preventDefault() // a nickname is needed to be in the room
})

$('#change-nickname').addEventListener('click', () => askNickname(null))

$('#members-toggle').addEventListener('click', () => {
  const open = sidebar.dataset.open !== 'true'
  sidebar.dataset.open = String(open)
  $('#members-toggle').setAttribute('aria-expanded', String(open))
})

// ---- Start ----

const badRoom = roomProblem(room)
if (badRoom) {
  setStatus('offline', 'Invalid room')
  toast('Invalid room name', badRoom)
} else {
  rememberRoom(room)
  if (nicknameProblem(state.nickname)) askNickname(null)
  else connect()
}
updateCounter()
