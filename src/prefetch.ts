/**
 * A second, tiny entry of index.html (async module script): starts reading the routed session's
 * warm-start snapshot while the main bundle is still loading. See src/db/snapshot-prefetch.ts.
 */
import { prefetchSnapshot } from './db/snapshot-prefetch.ts'
import { parseRoute } from './route.ts'

const route = parseRoute(location.pathname, location.search)
if (route.name === 'session') prefetchSnapshot(route.sessionID)
