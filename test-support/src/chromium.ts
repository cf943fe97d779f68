import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'
import { neededHere } from './needed.js'

/** The Chromium the browser tests drive (Debian's `chromium`, which CI installs). */
export const CHROMIUM = '/usr/bin/chromium'

/** Headless, sandbox-free and quiet: no GPU, no background traffic, no first-run pages. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** Whether the browser tests run: they skip without Chromium, except under CI (then this throws). */
export function chromiumNeeded(): boolean {
  return neededHere(existsSync(CHROMIUM), `${CHROMIUM} is missing`)
}

/** Launches headless Chromium (its own temporary user-data directory); close it after the tests. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS], timeout: 30_000 })
}
