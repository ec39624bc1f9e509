/** The routes as data (src/route.ts): parsing a location and building hrefs, with BASE_URL `/`. */
import { describe, expect, it } from 'vitest'
import { parseRoute, routeHref } from '../src/route.ts'

describe('parseRoute', () => {
  it('reads a session path and its directory', () => {
    expect(parseRoute('/session/ses_abc', '?directory=%2Ftmp%2Fp')).toEqual({ name: 'session', sessionID: 'ses_abc', directory: '/tmp/p' })
    expect(parseRoute('/session/ses_abc/', '')).toEqual({ name: 'session', sessionID: 'ses_abc', directory: undefined })
    expect(parseRoute('/session/a%20b', '')).toEqual({ name: 'session', sessionID: 'a b', directory: undefined })
  })

  it('treats anything else as home', () => {
    expect(parseRoute('/', '?directory=%2Ftmp')).toEqual({ name: 'home', directory: '/tmp' })
    expect(parseRoute('/session/', '')).toEqual({ name: 'home', directory: undefined })
    expect(parseRoute('/session/a/b', '')).toEqual({ name: 'home', directory: undefined })
    expect(parseRoute('/elsewhere/session/ses_abc', '')).toEqual({ name: 'home', directory: undefined })
  })

  it('opens home instead of throwing on a session id that is not valid percent-encoding', () => {
    expect(() => parseRoute('/session/%E0%A4%A', '')).not.toThrow()
    expect(parseRoute('/session/%E0%A4%A', '')).toEqual({ name: 'home', directory: undefined })
  })
})

describe('routeHref', () => {
  it('round-trips through parseRoute', () => {
    const route = { name: 'session', sessionID: 'ses/odd id', directory: '/tmp/a b' } as const
    const href = routeHref(route)
    const url = new URL(href, 'http://localhost')
    expect(parseRoute(url.pathname, url.search)).toEqual(route)
    expect(routeHref({ name: 'home' })).toBe('/')
  })
})
