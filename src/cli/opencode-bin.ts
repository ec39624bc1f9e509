/**
 * Finds the `opencode` binary of the pinned `opencode-ai` package. The package ships a 479-byte
 * placeholder `bin/opencode.exe` that its postinstall replaces with the platform binary from an
 * optional dependency (`opencode-<platform>-<arch>[-baseline][-musl]`); we look at the platform
 * packages first so a skipped postinstall does not matter.
 */
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Thrown when no binary exists for this platform; `message` says what to do. */
export class OpencodeBinaryMissing extends Error {}

/**
 * @param root repository root (holds node_modules).
 * @throws OpencodeBinaryMissing when neither a platform package nor a real bin/opencode.exe exists.
 */
export function findOpencodeBinary(root: string): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform
  const exe = process.platform === 'win32' ? 'opencode.exe' : 'opencode'
  const names = [`opencode-${platform}-${process.arch}`, `opencode-${platform}-${process.arch}-baseline`, `opencode-${platform}-${process.arch}-musl`, `opencode-${platform}-${process.arch}-baseline-musl`]
  for (const name of names) {
    const bin = join(root, 'node_modules', name, 'bin', exe)
    if (existsSync(bin)) return bin
  }
  const wrapper = join(root, 'node_modules', 'opencode-ai', 'bin', 'opencode.exe')
  if (existsSync(wrapper) && statSync(wrapper).size > 1_000_000) return wrapper
  throw new OpencodeBinaryMissing(
    `The opencode binary for ${process.platform}-${process.arch} is missing (looked for ${names[0]} in node_modules). ` +
      'Run `npm install` on this machine; if your registry does not serve that platform package, point the app at an existing server with OPENCODE_URL=http://host:port.',
  )
}
