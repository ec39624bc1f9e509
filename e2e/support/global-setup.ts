import { ensureBuilt } from '../../src/cli/build.ts'
import { REPO_ROOT } from '../../test/support/opencode-server.ts'
import { appDist } from './fixtures.ts'

/** Builds the production app once before the e2e run (the tests serve it). */
export default function globalSetup(): void {
  ensureBuilt(REPO_ROOT, console.log, appDist())
}
