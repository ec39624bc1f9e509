import { describe, expect, it } from 'vitest'
import { nextTick, ref } from 'vue'
import { installRoutePerServer, parseRouteMemory, switchRoute } from '../src/route-per-server.ts'
import type { Route } from '../src/route.ts'

const alpha: Route = { name: 'session', sessionID: 'ses_alpha', directory: '/srv/a' }

describe('the route per server', () => {
  it('opens the start page on a server seen for the first time, and the remembered route on one seen before', () => {
    const first = switchRoute({}, 'A', 'B', alpha)
    expect(first.open).toEqual({ name: 'home' })
    const back = switchRoute(first.memory, 'B', 'A', { name: 'home', directory: '/srv/b' })
    expect(back.open).toEqual(alpha)
    expect(back.memory).toEqual({ A: '/session/ses_alpha?directory=%2Fsrv%2Fa', B: '/?directory=%2Fsrv%2Fb' })
  })

  it('reads only well-formed memories', () => {
    expect(parseRouteMemory({ A: '/session/x', B: 3, C: 'https://evil.example/' })).toEqual({ A: '/session/x' })
    expect(parseRouteMemory('nonsense')).toEqual({})
  })

  it('follows server switches and keeps the memory across reloads of the tab', async () => {
    const stored = new Map<string, string>()
    const storage = { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v) }
    const server = ref('A')
    const route = ref<Route>(alpha)
    const stop = installRoutePerServer({ serverKey: () => server.value, route: () => route.value, navigate: (to) => (route.value = to), storage })
    server.value = 'B'
    await nextTick()
    expect(route.value).toEqual({ name: 'home' })
    route.value = { name: 'session', sessionID: 'ses_beta', directory: '/srv/b' }
    await nextTick()
    stop()

    // A reload of the tab: the memory is read back; switching to A returns to its session.
    const again = installRoutePerServer({ serverKey: () => server.value, route: () => route.value, navigate: (to) => (route.value = to), storage })
    server.value = 'A'
    await nextTick()
    expect(route.value).toEqual(alpha)
    server.value = 'B'
    await nextTick()
    expect(route.value).toEqual({ name: 'session', sessionID: 'ses_beta', directory: '/srv/b' })
    again()
  })
})
