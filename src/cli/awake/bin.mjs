#!/usr/bin/env node
// `relay-awake` bin launcher: registers tsx's ESM loader (resolved from this package, not from the
// caller's cwd) and runs the TypeScript entry src/cli/relay-awake.ts.
import { register } from 'tsx/esm/api'

register()
await import('../relay-awake.ts')
