/**
 * Issue 15: useAutoGrow (src/composables/useAutoGrow.ts), the prompt's growing text area, with a
 * stand-in element: the height follows the content up to the ceiling, after typing and after
 * changes made by code, until the scope is disposed.
 */
import { describe, expect, it } from 'vitest'
import { effectScope, nextTick, ref } from 'vue'
import { useAutoGrow, type GrowingField } from '../src/composables/useAutoGrow.ts'

/** An element whose content is `lines` lines of 20px; records every height set. */
function fakeArea() {
  const heights: string[] = []
  const area = {
    lines: 1,
    style: {
      get height() {
        return heights.at(-1) ?? ''
      },
      set height(v: string) {
        heights.push(v)
      },
    },
    get scrollHeight() {
      return area.lines * 20
    },
  }
  return { area, heights }
}

describe('useAutoGrow', () => {
  it('fits the height to the content, at most maxHeight, resetting it first so it can shrink', async () => {
    const { area, heights } = fakeArea()
    const text = ref('')
    const element = ref<GrowingField | null>(area)
    const scope = effectScope()
    const grow = scope.run(() => useAutoGrow({ element, text, maxHeight: () => 100 }))
    area.lines = 3
    grow?.resize()
    expect(heights).toEqual(['auto', '60px'])
    area.lines = 9
    text.value = 'set by code'
    expect(heights).toHaveLength(2)
    await nextTick()
    await nextTick()
    expect(heights.slice(2)).toEqual(['auto', '100px'])
    scope.stop()
    text.value = 'after dispose'
    await nextTick()
    await nextTick()
    expect(heights).toHaveLength(4)
    element.value = null
    grow?.resize()
    expect(heights).toHaveLength(4)
  })
})
