/**
 * A second, tiny entry of index.html (async module script): starts reading the routed session's
 * warm-start snapshot while the main bundle is still loading. See src/db/snapshot-prefetch.ts.
 */
import { prefetchSnapshot, routedSessionID } from './db/snapshot-prefetch.ts'

const sessionID = routedSessionID(location.pathname)
if (sessionID) prefetchSnapshot(sessionID)
