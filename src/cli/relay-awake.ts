#!/usr/bin/env node
/**
 * `relay-awake`: the OpenCode Relay companion CLI that keeps the computer awake while an agent
 * works. Run with tsx (`npx tsx src/cli/relay-awake.ts awake --port 0`) or through the
 * `relay-awake` bin (`src/cli/awake/bin.mjs`). See `src/cli/awake/cli.ts` for commands and flags.
 */
import { main } from './awake/cli.ts'

const code = await main(process.argv.slice(2))
if (code !== undefined) process.exitCode = code
