/**
 * Client state tests: the empty states and getting or creating a directory's state
 * (src/state/client-state.ts). How events and REST answers change the state is test/reducer.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { createClientState, createDirectoryState, directoryState } from '../src/state/client-state.ts'

/** A directory path as the server reports it (from a recording of the pinned `opencode serve`). */
const DIR = '/tmp/relay-oc-JVqsoz/project'

describe('state constructors', () => {
  it('creates empty states', () => {
    expect(createClientState()).toEqual({
      directories: {},
      projects: [],
      lastCursor: 0,
      unknownEvents: 0,
      unknownTypes: {},
      disposed: {},
      droppedDeltas: 0,
      failedEvents: 0,
    })
    expect(createDirectoryState()).toEqual({
      sessions: [],
      status: {},
      messages: {},
      parts: {},
      permissions: {},
      questions: {},
      todos: {},
      diffs: {},
      errors: {},
    })
  })

  it('directoryState gets or creates, returning the stored object', () => {
    const state = createClientState()
    const a = directoryState(state, DIR)
    expect(state.directories[DIR]).toBe(a)
    expect(directoryState(state, DIR)).toBe(a)
    expect(directoryState(state, '/other')).not.toBe(a)
  })
})
