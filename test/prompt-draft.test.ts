/**
 * Issue 15: the prompt box's draft composables without a browser, over a fresh chat store:
 * usePromptDraft (text, `@` attachments, whether it can be sent), useFileAttachments (images/PDFs
 * by paste, drop and picker, with stand-in events) and useAgentModelSelection. The browser side is
 * e2e/attachments.spec.ts and e2e/client-sessions.spec.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { effectScope, ref } from 'vue'
import { setStorage } from '../src/stores/storage.ts'
import { useChatStore } from '../src/stores/chat.ts'
import { usePromptDraft } from '../src/composables/usePromptDraft.ts'
import { useFileAttachments } from '../src/composables/useFileAttachments.ts'
import { useAgentModelSelection } from '../src/composables/useAgentModelSelection.ts'
import { memoryStorage } from './support/stub-relay.ts'

const DIR = '/work/project'
const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const png = (name: string) => new File([PNG_BYTES], name, { type: 'image/png' })

/** Runs `fn` in an effect scope (stopped after the test). */
const scopes: Array<ReturnType<typeof effectScope>> = []
function inScope<T>(fn: () => T): T {
  const scope = effectScope()
  scopes.push(scope)
  const result = scope.run(fn)
  if (result === undefined) throw new Error('no scope')
  return result
}

/** A `DataTransfer` stand-in holding files (and `types`, as a browser lists them). */
function transfer(files: File[], types: string[] = ['Files']): DataTransfer {
  const items = files.map((f) => ({ kind: 'file', getAsFile: () => f }))
  return { items, files, types, dropEffect: 'none' } as unknown as DataTransfer
}

/** An event stand-in that records `preventDefault`. */
function event<T>(fields: Record<string, unknown>): T & { prevented: boolean } {
  const ev = {
    ...fields,
    prevented: false,
    preventDefault() {
      ev.prevented = true
    },
  }
  return ev as unknown as T & { prevented: boolean }
}

beforeEach(() => {
  setStorage(memoryStorage())
  setActivePinia(createPinia())
})

afterEach(() => {
  for (const s of scopes.splice(0)) s.stop()
  setStorage(undefined)
})

describe('usePromptDraft', () => {
  it('reads and writes the draft of the current key', () => {
    const chat = useChatStore()
    const key = ref('ses_a')
    const draft = inScope(() => usePromptDraft({ draftKey: key, directory: DIR }))
    draft.text.value = 'hello'
    expect(chat.drafts.ses_a).toBe('hello')
    key.value = 'ses_b'
    expect(draft.text.value).toBe('')
    chat.drafts.ses_b = 'other'
    expect(draft.text.value).toBe('other')
  })

  it('can send with text or a file, never blank or disabled', () => {
    const chat = useChatStore()
    const disabled = ref(false)
    const draft = inScope(() => usePromptDraft({ draftKey: 'k', directory: DIR, disabled }))
    expect(draft.canSend.value).toBe(false)
    draft.text.value = '  \n '
    expect(draft.canSend.value).toBe(false)
    chat.addFile('k', { id: 'att-x', filename: 'a.png', mime: 'image/png', size: 8, url: 'data:image/png;base64,' })
    expect(draft.canSend.value).toBe(true)
    draft.removeFile('att-x')
    expect(draft.files.value).toEqual([])
    draft.text.value = 'go'
    expect(draft.canSend.value).toBe(true)
    disabled.value = true
    expect(draft.canSend.value).toBe(false)
  })

  it('attaches `@` paths under the project and drops those whose mention was deleted', () => {
    const chat = useChatStore()
    const draft = inScope(() => usePromptDraft({ draftKey: 'k', directory: DIR }))
    draft.attach('src/app.ts')
    draft.attach('docs/')
    expect(chat.attachments.k).toEqual([
      { path: 'src/app.ts', absolute: `${DIR}/src/app.ts`, directory: false },
      { path: 'docs/', absolute: `${DIR}/docs/`, directory: true },
    ])
    draft.text.value = 'compare @src/app.ts with @docs'
    draft.pruneAttachments()
    expect(draft.attachments.value.map((a) => a.path)).toEqual(['src/app.ts'])
    draft.detach('src/app.ts')
    expect(draft.attachments.value).toEqual([])
  })
})

describe('useFileAttachments', () => {
  function setup(options: { disabled?: boolean } = {}) {
    const chat = useChatStore()
    const key = ref('ses_a')
    const input = ref<HTMLInputElement | null>(null)
    const intake = inScope(() => useFileAttachments({ draftKey: key, disabled: () => options.disabled, input }))
    return { chat, key, input, intake }
  }

  it('adds the accepted files to the draft they were given to and explains the refused ones', async () => {
    const { chat, key, intake } = setup()
    const adding = intake.addFiles([png('a.png'), new File(['x'], 'notes.txt', { type: 'text/plain' }), png('b.png')])
    key.value = 'ses_b'
    await adding
    expect(chat.files.ses_a?.map((f) => f.filename)).toEqual(['a.png', 'b.png'])
    expect(chat.files.ses_b).toBeUndefined()
    expect(intake.error.value).toBe('notes.txt (text/plain) cannot be attached: only PNG, JPEG, GIF, WebP images and PDF files are supported.')
    await intake.addFiles([png('c.png')])
    expect(intake.error.value).toBeUndefined()
    expect(chat.files.ses_b?.map((f) => f.filename)).toEqual(['c.png'])
  })

  it('accepts nothing while disabled', async () => {
    const { chat, intake } = setup({ disabled: true })
    await intake.addFiles([png('a.png')])
    const drop = event<DragEvent>({ dataTransfer: transfer([png('a.png')]) })
    intake.onDragOver(drop)
    expect(drop.prevented).toBe(false)
    expect(intake.dragging.value).toBe(false)
    expect(chat.files.ses_a).toBeUndefined()
  })

  it('a pasted picture is attached; its text, if it came with one, is still pasted', async () => {
    const { chat, intake } = setup()
    const picture = event<ClipboardEvent>({ clipboardData: transfer([png('shot.png')], ['Files']) })
    intake.onPaste(picture)
    expect(picture.prevented).toBe(true)
    const withText = event<ClipboardEvent>({ clipboardData: transfer([png('web.png')], ['text/plain', 'Files']) })
    intake.onPaste(withText)
    expect(withText.prevented).toBe(false)
    const plain = event<ClipboardEvent>({ clipboardData: transfer([], ['text/plain']) })
    intake.onPaste(plain)
    expect(plain.prevented).toBe(false)
    await new Promise((r) => setTimeout(r, 0))
    expect(chat.files.ses_a?.map((f) => f.filename)).toEqual(['shot.png', 'web.png'])
  })

  it('takes a drag of files (copy) and attaches what is dropped; ignores drags without files', async () => {
    const { chat, intake } = setup()
    const text = event<DragEvent>({ dataTransfer: transfer([], ['text/plain']) })
    intake.onDragOver(text)
    expect(text.prevented).toBe(false)
    expect(intake.dragging.value).toBe(false)
    const over = event<DragEvent>({ dataTransfer: transfer([png('d.png')]) })
    intake.onDragOver(over)
    expect(over.prevented).toBe(true)
    expect(over.dataTransfer?.dropEffect).toBe('copy')
    expect(intake.dragging.value).toBe(true)
    const drop = event<DragEvent>({ dataTransfer: transfer([png('d.png')]) })
    intake.onDrop(drop)
    expect(drop.prevented).toBe(true)
    expect(intake.dragging.value).toBe(false)
    await new Promise((r) => setTimeout(r, 0))
    expect(chat.files.ses_a?.map((f) => f.filename)).toEqual(['d.png'])
  })

  it('opens the picker and attaches the picked files, emptying the input for the next pick', async () => {
    const { chat, input, intake } = setup()
    let clicks = 0
    const fake = { files: [png('p.png')], value: 'C:\\fakepath\\p.png', click: () => clicks++ }
    input.value = fake as unknown as HTMLInputElement
    intake.pick()
    expect(clicks).toBe(1)
    intake.onPicked()
    expect(fake.value).toBe('')
    await new Promise((r) => setTimeout(r, 0))
    expect(chat.files.ses_a?.map((f) => f.filename)).toEqual(['p.png'])
  })
})

describe('useAgentModelSelection', () => {
  it('keeps the agent and model picked for the draft key', () => {
    const chat = useChatStore()
    const key = ref('new')
    const sel = inScope(() => useAgentModelSelection({ directory: DIR, sessionID: undefined, draftKey: key }))
    expect(sel.agents.value).toEqual([])
    expect(sel.agent.value).toBeUndefined()
    sel.selectAgent('plan')
    sel.selectModel({ providerID: 'p', modelID: 'm' })
    expect(chat.selections.new).toEqual({ agent: 'plan', model: { providerID: 'p', modelID: 'm' } })
    expect(sel.agent.value).toBe('plan')
    expect(sel.model.value).toEqual({ providerID: 'p', modelID: 'm' })
    // The model picked last anywhere is the default of another draft; the agent is not.
    key.value = 'other'
    expect(sel.agent.value).toBeUndefined()
    expect(sel.model.value).toEqual({ providerID: 'p', modelID: 'm' })
  })
})
