/**
 * Issue 4 acceptance: what a new user does. A fresh temp copy of the repo, `npm install`, then
 * `npm start` in a project whose opencode.json uses the scripted model; open the printed URL in
 * Chromium, send a prompt, see the reply; Ctrl+C leaves no `opencode` process behind.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test, expect } from '@playwright/test'
import { startScriptedModel } from '../test/support/scripted-model.ts'
import { REPO_ROOT, freePort, isolatedEnv, writeProject } from '../test/support/opencode-server.ts'
import { collectOutput, killLauncher, opencodeProcessesOn } from './support/launcher.ts'

/** Copies the working tree (tracked and untracked, not ignored files) like a fresh clone. */
function copyRepo(dest: string): void {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean)
  for (const f of files) {
    mkdirSync(dirname(join(dest, f)), { recursive: true })
    try {
      cpSync(join(REPO_ROOT, f), join(dest, f))
    } catch {
      // a file deleted in the working tree but still tracked
    }
  }
}

test('fresh copy: npm install && npm start, prompt and reply in the browser, Ctrl+C leaves no opencode', async ({ page }) => {
  test.setTimeout(600_000)
  const work = mkdtempSync(join(tmpdir(), 'relay-fresh-'))
  const repo = join(work, 'repo')
  const model = await startScriptedModel()
  let child: ChildProcess | undefined
  let serverPort = 0
  try {
    copyRepo(repo)
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: repo, stdio: 'inherit', timeout: 400_000 })
    const project = writeProject(join(work, 'user'), model.baseURL)
    const env = isolatedEnv(join(work, 'user'))
    const port = await freePort()
    child = spawn('npm', ['start', '--', '--port', String(port), '--dir', project], { cwd: repo, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    const output = collectOutput(child)
    const [, url] = await output.waitFor(/OpenCode Relay is running: (http:\/\/\S+)/, 300_000)
    serverPort = Number((await output.waitFor(/OpenCode server: http:\/\/127\.0\.0\.1:(\d+)/, 5_000))[1])
    expect(url).toBe(`http://localhost:${port}`)
    expect(opencodeProcessesOn(serverPort).length).toBeGreaterThan(0)

    await page.goto(url)
    await expect(page.getByTestId('connection-badge').first()).toHaveAttribute('data-state', 'connected', { timeout: 30_000 })
    await page.getByTestId('new-session').click()
    await page.getByTestId('prompt-input').fill('stream 12')
    await page.getByTestId('send-button').click()
    // Generous: the first prompt in a fresh HOME makes opencode install the provider package.
    await expect(page.getByTestId('part').filter({ hasText: 'END' })).toContainText('alpha0 bravo1', { timeout: 120_000 })

    // Ctrl+C: SIGINT to the whole foreground process group, as a terminal does.
    const exited = new Promise<void>((r) => child?.once('exit', () => r()))
    if (child.pid) process.kill(-child.pid, 'SIGINT')
    await exited
    await expect.poll(() => opencodeProcessesOn(serverPort), { timeout: 10_000 }).toEqual([])
  } finally {
    // Never leave a server behind, even when the test failed before Ctrl+C.
    if (child) killLauncher(child, serverPort)
    await model.close()
    rmSync(work, { recursive: true, force: true })
  }
})
