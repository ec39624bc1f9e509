/**
 * Issue 16, context and export: the context meter shows what the server counted for the newest
 * model call against the model's window, with the session's cost; the session menu exports the
 * whole session as Markdown and as JSON in `opencode export`'s shape. Real `opencode serve`, the
 * scripted model (its usage numbers are what the server records).
 */
import { readFileSync } from 'node:fs'
import type { AssistantMessage } from '@opencode-ai/sdk/v2/types'
import { test, expect, openSession } from './support/fixtures.ts'
import { streamedText } from '../test/support/scripted-model.ts'

test('the context meter shows the newest call against the model’s window, and its breakdown opens by keyboard', async ({ stack, page }) => {
  const session = await stack.api.createSession('meter')
  await stack.api.prompt(session.id, 'stream 5')
  const messages = await stack.api.messages(session.id)
  const last = messages.map((m) => m.info).filter((m): m is AssistantMessage => m.role === 'assistant').at(-1)
  if (!last) throw new Error('no assistant message')
  const t = last.tokens
  const used = t.input + t.output + t.reasoning + t.cache.read + t.cache.write
  expect(used).toBeGreaterThan(0)
  await openSession(page, stack, session.id)
  const meter = page.getByTestId('context-meter')
  await expect(meter).toHaveAttribute('data-used', String(used))
  // The scripted model's window (test/support/opencode-server.ts): 128,000 tokens.
  await expect(meter).toHaveAttribute('data-limit', '128000')
  await expect(meter).toContainText(`${Math.round((used / 128000) * 100)}%`)
  await meter.focus()
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('context-used')).toContainText(`${used.toLocaleString('en-US')} / 128,000 tokens`)
  await expect(page.getByTestId('session-cost')).toHaveText('$0')
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('context-breakdown')).toHaveCount(0)
})

test('the session menu exports the whole session as Markdown and as JSON', async ({ stack, page }) => {
  const session = await stack.api.createSession('export me')
  await stack.api.prompt(session.id, 'stream 7')
  await openSession(page, stack, session.id)
  const truth = await stack.api.messages(session.id)

  await page.getByTestId('session-menu').click()
  const [md] = await Promise.all([page.waitForEvent('download'), page.getByTestId('action-export-md').click()])
  expect(md.suggestedFilename()).toBe('export-me.md')
  const text = readFileSync(await md.path(), 'utf8')
  expect(text).toContain('# export me')
  expect(text).toContain('stream 7')
  expect(text).toContain(streamedText(7))

  await page.getByTestId('session-menu').click()
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('action-export-json').click()])
  expect(json.suggestedFilename()).toBe('export-me.json')
  const data: unknown = JSON.parse(readFileSync(await json.path(), 'utf8'))
  expect(data).toMatchObject({ info: { id: session.id, title: 'export me' } })
  expect(data).toHaveProperty('messages', truth)
})
