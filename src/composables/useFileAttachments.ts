import { ref, toValue, type MaybeRefOrGetter, type Ref } from 'vue'
import { dragHasFiles, filesOf, readAttachment } from '../api/file-attachments.ts'
import { useChatStore } from '../stores/chat.ts'

/** Options of {@link useFileAttachments}. */
export interface UseFileAttachmentsOptions {
  /** Draft the files are added to (the key when the files were given, not when they are read). */
  draftKey: MaybeRefOrGetter<string>
  /** Whether the prompt is disabled: then nothing is accepted and drags are not taken. */
  disabled?: MaybeRefOrGetter<boolean | undefined>
  /** The hidden `<input type="file">` the attach button opens. */
  input: Readonly<Ref<HTMLInputElement | null>>
}

/** What {@link useFileAttachments} returns. */
export interface UseFileAttachmentsReturn {
  /** Why the last pasted/dropped/picked files were refused (one sentence each); undefined when none were. */
  error: Ref<string | undefined>
  /** Whether files are being dragged over the drop target (for the drop hint). */
  dragging: Readonly<Ref<boolean>>
  /** Checks and reads `list`, adding the accepted files to the draft and explaining the refused ones. */
  addFiles(list: readonly File[]): Promise<void>
  /** `paste` handler: attaches pasted files (the text of a copied picture is still pasted). */
  onPaste(ev: ClipboardEvent): void
  /** `dragover` handler of the drop target: takes a drag that carries files. */
  onDragOver(ev: DragEvent): void
  /** `dragleave` handler of the drop target (leaving for a child of it is no leave). */
  onDragLeave(ev: DragEvent): void
  /** `drop` handler of the drop target: attaches the dropped files. */
  onDrop(ev: DragEvent): void
  /** Opens the file picker (clicks {@link UseFileAttachmentsOptions.input}). */
  pick(): void
  /** `change` handler of the file input: attaches the picked files and empties the input. */
  onPicked(): void
}

/**
 * How images and PDFs get into a draft: by paste, by a drop onto the composer, or with the file
 * picker. Each file is checked and read (src/api/file-attachments.ts); the accepted ones are added
 * to the chat store's draft, the refused ones explained in {@link UseFileAttachmentsReturn.error}
 * (the draft is kept). Holds no timers or listeners, so it needs no cleanup.
 */
export function useFileAttachments(options: UseFileAttachmentsOptions): UseFileAttachmentsReturn {
  const chat = useChatStore()
  const error = ref<string | undefined>()
  const dragging = ref(false)
  const disabled = () => Boolean(toValue(options.disabled))

  async function addFiles(list: readonly File[]): Promise<void> {
    if (list.length === 0 || disabled()) return
    const key = toValue(options.draftKey)
    const errors: string[] = []
    for (const file of list) {
      const result = await readAttachment(file)
      if ('error' in result) errors.push(result.error)
      else chat.addFile(key, result)
    }
    error.value = errors.length ? errors.join(' ') : undefined
  }

  function onPaste(ev: ClipboardEvent): void {
    const pasted = filesOf(ev.clipboardData)
    if (pasted.length === 0) return
    // A copied picture may come with its text (e.g. from a web page): then the text is pasted too.
    if (!ev.clipboardData?.types.includes('text/plain')) ev.preventDefault()
    void addFiles(pasted)
  }

  function onDragOver(ev: DragEvent): void {
    if (!dragHasFiles(ev.dataTransfer) || disabled()) return
    ev.preventDefault()
    if (ev.dataTransfer) ev.dataTransfer.dropEffect = 'copy'
    dragging.value = true
  }

  function onDragLeave(ev: DragEvent): void {
    const box = ev.currentTarget
    if (box instanceof Node && ev.relatedTarget instanceof Node && box.contains(ev.relatedTarget)) return
    dragging.value = false
  }

  function onDrop(ev: DragEvent): void {
    dragging.value = false
    if (!dragHasFiles(ev.dataTransfer) || disabled()) return
    ev.preventDefault()
    void addFiles(filesOf(ev.dataTransfer))
  }

  function pick(): void {
    options.input.value?.click()
  }

  function onPicked(): void {
    const input = options.input.value
    if (!input?.files) return
    const picked = Array.from(input.files)
    input.value = ''
    void addFiles(picked)
  }

  return { error, dragging, addFiles, onPaste, onDragOver, onDragLeave, onDrop, pick, onPicked }
}
