// End to end: the real server on 127.0.0.1 (port 0) and two headless Chromium pages in one
// room. Skipped only when /usr/bin/chromium is missing and CI is not set.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import {
  DEBUG_ALLOWED_HOSTS,
  InMemoryChannelLayer,
  resetChannelLayers,
  setChannelLayer,
} from '@node-channels/core'
import { type ServerHandle, serve } from '@node-channels/server'
import { chromiumNeeded, launchChromium } from '@node-channels/test-support/chromium'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApplication } from './application.js'
import { InMemoryHistoryStore } from './history.js'

const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url))
const WAIT_MS = 10_000

const available = chromiumNeeded()

describe.skipIf(!available)('the chat in two Chromium pages', { timeout: 60_000 }, () => {
  let handle: ServerHandle
  let browser: Browser
  const contexts: BrowserContext[] = []

  beforeAll(async () => {
    setChannelLayer(new InMemoryChannelLayer())
    const app = createApplication({
      history: new InMemoryHistoryStore(),
      allowedHosts: DEBUG_ALLOWED_HOSTS,
    })
    handle = await serve(app, { host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    for (const context of contexts) await context.close()
    await browser?.close()
    await handle?.close()
    await resetChannelLayers()
  })

  /** A page in its own browser context (its own storage), failing the test on page errors. */
  async function openPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 } })
    contexts.push(context)
    const page = await context.newPage()
    page.setDefaultTimeout(WAIT_MS)
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    ;(page as Page & { errors: string[] }).errors = errors
    return page
  }

  const bodies = (page: Page) => page.locator('#chat-log .message .body').allTextContents()
  const members = (page: Page) => page.locator('#members .member-name').allTextContents()
  // Page-side code is passed as strings: this project compiles without the DOM library.
  const waitForMembers = (page: Page, names: string[]) =>
    page.waitForFunction(
      `JSON.stringify([...document.querySelectorAll('#members .member-name')].map((node) => node.textContent)) === ${JSON.stringify(JSON.stringify(names))}`,
      undefined,
      { timeout: WAIT_MS },
    )
  const waitForMessage = (page: Page, text: string) =>
    page.locator('#chat-log .message .body', { hasText: text }).first().waitFor()
  const say = async (page: Page, text: string) => {
    await page.locator('#chat-message-input').fill(text)
    await page.locator('#chat-message-input').press('Enter')
  }

  it('lets two people chat, see each other in the member list, and shows refusals', async () => {
    // Ada picks a nickname and a room on the index page.
    const ada = await openPage()
    await ada.goto(`${handle.url}/`)
    await ada.locator('#nickname-input').fill('Ada')
    await ada.locator('#room-name-input').fill('lobby')
    await ada.locator('#room-name-submit').click()
    await ada.waitForURL(`${handle.url}/chat/lobby/`)
    await ada.locator('body[data-state="online"]').waitFor()
    expect(await ada.locator('#room-name').textContent()).toBe('lobby')

    // Bob opens the room directly and is asked for a nickname.
    const bob = await openPage()
    await bob.goto(`${handle.url}/chat/lobby/`)
    await bob.locator('#nickname-dialog[open]').waitFor()
    await bob.locator('#nickname-dialog #nickname-input').fill('Bob')
    await bob.locator('#nickname-submit').click()
    await bob.locator('body[data-state="online"]').waitFor()

    await waitForMembers(ada, ['Ada', 'Bob'])
    await waitForMembers(bob, ['Ada', 'Bob'])
    expect(await members(ada)).toEqual(['Ada', 'Bob'])
    expect(await ada.locator('#member-count').textContent()).toBe('2')
    await ada.locator('.notice', { hasText: 'Bob joined' }).waitFor()

    // Someone in another room (the tutorial's second Selenium test) sees none of it.
    const eve = await openPage()
    await eve.addInitScript({ content: "localStorage.setItem('chat.nickname', 'Eve')" })
    await eve.goto(`${handle.url}/chat/kitchen/`)
    await eve.locator('body[data-state="online"]').waitFor()

    await say(ada, 'Hi Bob! Welcome to the lobby.')
    await waitForMessage(bob, 'Hi Bob! Welcome to the lobby')
    await say(bob, 'Thanks Ada. Is this really running on Node?')
    await waitForMessage(ada, 'Is this really running on Node?')
    await say(ada, 'Yes: node-channels, the Django Channels tutorial chat, ported.')
    await say(ada, 'Groups, consumers and the channel layer work just like in Django.')
    await waitForMessage(bob, 'Groups, consumers and the channel layer')
    expect(await bodies(bob)).toEqual(await bodies(ada))
    expect(await bodies(ada)).toHaveLength(4)
    await say(eve, 'Anyone in the kitchen?')
    await waitForMessage(eve, 'Anyone in the kitchen?')
    expect(await bodies(eve)).toEqual(['Anyone in the kitchen?'])
    expect(await members(eve)).toEqual(['Eve'])
    expect(await bodies(ada)).toHaveLength(4)

    // A message over 500 characters is refused by the server's schema, with its error.
    const tooLong = 'A very long message. '.repeat(25)
    await bob.locator('#chat-message-input').fill(tooLong)
    expect(await bob.locator('#counter').getAttribute('data-level')).toBe('over')
    await bob.locator('#chat-message-submit').click()
    const toast = bob.locator('.toast')
    await toast.waitFor()
    expect(await toast.locator('.toast-text').textContent()).toBe(
      'Messages can be at most 500 characters long.',
    )
    // The text is back in the composer to be shortened, and nobody saw it.
    expect(await bob.locator('#chat-message-input').inputValue()).toBe(tooLong.trim())
    expect(await bodies(ada)).toHaveLength(4)

    await mkdir(RESULTS, { recursive: true })
    await bob.evaluate(
      'Promise.all(document.getAnimations().map((animation) => animation.finished))',
    )
    await bob.screenshot({ path: `${RESULTS}chat-room-error.png` })
    await ada.locator('#chat-message-input').fill('Ask me anything')
    await ada.screenshot({ path: `${RESULTS}chat-room.png` })
    expect(existsSync(`${RESULTS}chat-room.png`)).toBe(true)

    // Bob leaves: Ada is told, and the member list follows.
    await bob.close()
    await ada.locator('.notice', { hasText: 'Bob left' }).waitFor()
    await waitForMembers(ada, ['Ada'])

    // A newcomer gets the history.
    const cy = await openPage()
    await cy.addInitScript({ content: "localStorage.setItem('chat.nickname', 'Cy')" })
    await cy.goto(`${handle.url}/chat/lobby/`)
    await cy.locator('body[data-state="online"]').waitFor()
    await waitForMessage(cy, 'Groups, consumers and the channel layer')
    expect(await bodies(cy)).toEqual(await bodies(ada))

    for (const page of [ada, cy]) {
      expect((page as Page & { errors: string[] }).errors).toEqual([])
    }
  })

  it('shows the 404 page for a room name that breaks the rules', async () => {
    const page = await openPage()
    const response = await page.goto(`${handle.url}/chat/a.b/`)
    expect(response?.status()).toBe(404)
    expect(await page.locator('h1').textContent()).toBe('Page not found')
  })
})
