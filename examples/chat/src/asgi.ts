/**
 * ASGI config for the chat, as the tutorial's `mysite/asgi.py`: exposes the application as
 * the module-level `application`, configured from the environment (`settings.ts`).
 * Serve it with `node-channels serve examples/chat/src/asgi.ts`, or run `src/main.ts`.
 */
import type { Application } from '@node-channels/core'
import { createApplication } from './application.js'
import { applySettings, loadSettings } from './settings.js'

export const application: Application = createApplication(applySettings(loadSettings()))
