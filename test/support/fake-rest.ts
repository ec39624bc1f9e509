/**
 * The app's REST client (src/api/opencode.ts) over a fake `opencode serve`: each route answers a
 * path with JSON (or a `Response`, or throws as a network error would); unknown paths answer `[]`.
 * For unit tests of the loads in src/sync/, without Pinia or a relay.
 */
import { createOpencodeApi, type OpencodeApi } from '../../src/api/opencode.ts'
import { jsonResponse } from './http.ts'

/** Answers one request: JSON data, a ready `Response`, or a throw (a network error). */
export type FakeRoute = (url: URL) => unknown

/** A fake server: `api` talks to it; `reads` counts requests by path. */
export interface FakeRest {
  api: OpencodeApi
  reads: Map<string, number>
  /** Routes by path; tests may replace one between reads. */
  routes: Record<string, FakeRoute>
}

/** Creates a fake server answering `routes`. */
export function fakeRest(routes: Record<string, FakeRoute> = {}): FakeRest {
  const reads = new Map<string, number>()
  const fetchImpl: typeof fetch = async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    reads.set(url.pathname, (reads.get(url.pathname) ?? 0) + 1)
    const route = routes[url.pathname]
    const answer: unknown = route ? await route(url) : []
    return answer instanceof Response ? answer : jsonResponse(answer)
  }
  return { api: createOpencodeApi({ url: 'http://oc.test' }, { fetch: fetchImpl }), reads, routes }
}
