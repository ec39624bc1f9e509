/**
 * Bootstrap reads: the server's project list and, per directory, its event-driven data (sessions,
 * statuses, pending permissions and questions: one buffered scope) and its REST-only data (agents,
 * commands, providers, config, path: {@link DirectoryMeta}). Concurrent asks for the same load share
 * one read (src/sync/load-once.ts).
 */
import { errorMessage, type OpencodeApi } from '../api/opencode.ts'
import { loadPermissions, loadQuestions, loadSessions, loadStatus } from '../state/reducer.ts'
import type { Intake } from './intake.ts'
import type { LoadOnce } from './load-once.ts'
import { directoryData, metaOf, type SyncData } from './data.ts'

/** What the bootstrap reads with and reports to. */
export interface BootstrapOptions {
  data: SyncData
  /** The current server's REST client (read at the start of each load: the server may change). */
  api(): OpencodeApi
  /** Ordered reads (src/sync/intake.ts). */
  read: Intake['read']
  /** Load dedupe (src/sync/load-once.ts), shared with the session loads. */
  loads: LoadOnce
  /** `GET /path` without `directory` answered: the server's own directory (the default project). */
  setHomeDirectory(directory: string): void
  /** REST health for the UI: undefined after a directory loaded, the message after one failed. */
  setApiError(message: string | undefined): void
  /** A directory load failed (the owner schedules a retry). */
  failed(): void
}

/** The bootstrap loads. */
export interface Bootstrap {
  /**
   * `GET /project` into `state.projects` (sorted by id), and `GET /path` (no directory) for the
   * home directory; a failing `/path` is ignored.
   * @throws Error when the project list cannot be read.
   */
  loadProjects(): Promise<void>
  /**
   * Loads a directory: `GET /session`, `/session/status`, `/permission`, `/question` in one
   * buffered scope, plus `GET /agent`, `/command`, `/config/providers`, `/config`, `/path`
   * (each on its own; a failing one leaves its field as it was). Returns the running load when one
   * is in flight, at once when already loaded.
   * @param options.force re-read even when already loaded (after `resync`/`reset`); while a load
   *   runs, one more runs after it.
   * @throws Error when the session list (or status, permissions, questions) cannot be read; the
   *   directory's meta records it too.
   */
  ensureDirectory(directory: string, options?: { force?: boolean }): Promise<void>
}

/** Creates the bootstrap loads. */
export function createBootstrap(options: BootstrapOptions): Bootstrap {
  const { data, read, loads } = options

  function loadProjects(): Promise<void> {
    return loads.run('projects', async () => {
      const api = options.api()
      const pathPromise = api.getPath().then(
        (p) => options.setHomeDirectory(p.directory),
        () => undefined,
      )
      await read(
        { kind: 'projects' },
        () => api.listProjects(),
        (projects) => {
          data.state.projects = [...projects].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        },
      )
      await pathPromise
    })
  }

  function ensureDirectory(directory: string, opts: { force?: boolean } = {}): Promise<void> {
    const m = metaOf(data, directory)
    if (!opts.force && (m.status === 'ready' || m.status === 'loading')) return loads.running(`dir:${directory}`) ?? Promise.resolve()
    return loads.run(
      `dir:${directory}`,
      async () => {
        m.status = 'loading'
        m.error = undefined
        const api = options.api()
        const extras = Promise.allSettled([
          api.listAgents(directory).then((agents) => void (m.agents = agents)),
          api.listCommands(directory).then((commands) => void (m.commands = commands)),
          api.getProviders(directory).then((providers) => void (m.providers = providers)),
          api.getConfig(directory).then((config) => void (m.config = config)),
          api.getPath(directory).then((path) => void (m.path = path)),
        ])
        try {
          await read(
            { kind: 'directory', directory },
            () => Promise.all([api.listSessions(directory), api.sessionStatus(directory), api.listPermissions(directory), api.listQuestions(directory)]),
            ([sessions, status, permissions, questions]) => {
              const d = directoryData(data, directory)
              loadSessions(d, sessions)
              loadStatus(d, status)
              loadPermissions(d, permissions)
              loadQuestions(d, questions)
            },
          )
          m.status = 'ready'
          options.setApiError(undefined)
        } catch (err) {
          m.status = 'error'
          m.error = errorMessage(err)
          options.setApiError(m.error)
          options.failed()
          throw err
        } finally {
          await extras
        }
      },
      opts.force,
    )
  }

  return { loadProjects, ensureDirectory }
}
