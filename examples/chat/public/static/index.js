// The index page: pick a nickname and a room, then go to /chat/<room>/.
import {
  element,
  nicknameProblem,
  recentRooms,
  roomProblem,
  roomUrl,
  savedNickname,
  saveNickname,
} from './common.js'

const form = document.querySelector('#room-form')
const nicknameInput = document.querySelector('#nickname-input')
const roomInput = document.querySelector('#room-name-input')
const nicknameError = document.querySelector('#nickname-error')
const roomError = document.querySelector('#room-error')

nicknameInput.value = savedNickname()
;(nicknameInput.value ? roomInput : nicknameInput).focus()

function show(input, output, problem) {
  output.textContent = problem ?? ''
  input.setAttribute('aria-invalid', problem ? 'true' : 'false')
  return problem === null
}

nicknameInput.addEventListener('input', () => show(nicknameInput, nicknameError, null))
roomInput.addEventListener('input', () => show(roomInput, roomError, null))

form.addEventListener('submit', (event) => {
  event.preventDefault()
  const nicknameOk = show(nicknameInput, nicknameError, nicknameProblem(nicknameInput.value))
  const room = roomInput.value.trim()
  const roomOk = show(roomInput, roomError, roomProblem(room))
  if (!nicknameOk) nicknameInput.focus()
  else if (!roomOk) roomInput.focus()
  if (!nicknameOk || !roomOk) return
  saveNickname(nicknameInput.value.trim().normalize('NFC'))
  window.location.assign(roomUrl(room))
})

const rooms = recentRooms()
if (rooms.length > 0) {
  const list = document.querySelector('#recent-rooms')
  for (const room of rooms) {
    const item = element('li')
    const link = element('a', 'chip', `#${room}`)
    link.href = roomUrl(room)
    item.append(link)
    list.append(item)
  }
  document.querySelector('#recent').hidden = false
}
