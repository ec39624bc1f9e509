import { computed, toValue, type ComputedRef, type MaybeRefOrGetter, type WritableComputedRef } from 'vue'
import type { FileAttachment } from '../api/file-attachments.ts'
import { useChatStore } from '../stores/chat.ts'
import { joinPath, type Attachment } from '../stores/prompt-input.ts'

/** Options of {@link usePromptDraft}. */
export interface UsePromptDraftOptions {
  /** Draft key: the session id, or a key for the "new session" prompt. */
  draftKey: MaybeRefOrGetter<string>
  /** Project directory (`@` paths are relative to it). */
  directory: MaybeRefOrGetter<string>
  /** Whether the prompt is disabled (nothing can be sent). */
  disabled?: MaybeRefOrGetter<boolean | undefined>
}

/** What {@link usePromptDraft} returns; every field follows the draft key. */
export interface UsePromptDraftReturn {
  /** The unsent text (writing it updates the stored draft). */
  text: WritableComputedRef<string>
  /** Files and folders attached with `@` (sent as `file://` parts). */
  attachments: ComputedRef<readonly Attachment[]>
  /** Images and PDFs attached by paste, drop or picker (sent as `data:` parts). */
  files: ComputedRef<readonly FileAttachment[]>
  /** Whether there is something to send (text or a file) and the prompt is enabled. */
  canSend: ComputedRef<boolean>
  /** Attaches a project path picked after `@` (a path ending in `/` is a folder). */
  attach(path: string): void
  /** Removes an `@` attachment. */
  detach(path: string): void
  /** Drops the `@` attachments whose `@path` is no longer in the text (after an edit). */
  pruneAttachments(): void
  /** Removes an image/PDF by its id. */
  removeFile(id: string): void
}

/**
 * The draft of one prompt box as the chat store keeps it per draft key (so it survives switching
 * sessions): the text, the `@` attachments, the images/PDFs, and whether it can be sent. Images
 * and PDFs come in through useFileAttachments.ts. Derived from the store, so it needs no
 * cleanup.
 */
export function usePromptDraft(options: UsePromptDraftOptions): UsePromptDraftReturn {
  const chat = useChatStore()
  const key = () => toValue(options.draftKey)

  const text = computed({
    get: () => chat.drafts[key()] ?? '',
    set: (v: string) => {
      chat.drafts[key()] = v
    },
  })
  const attachments = computed(() => chat.attachments[key()] ?? [])
  const files = computed(() => chat.files[key()] ?? [])
  const canSend = computed(() => !toValue(options.disabled) && (text.value.trim().length > 0 || files.value.length > 0))

  function attach(path: string): void {
    chat.attach(key(), { path, absolute: joinPath(toValue(options.directory), path), directory: path.endsWith('/') })
  }

  function detach(path: string): void {
    chat.detach(key(), path)
  }

  function pruneAttachments(): void {
    for (const a of attachments.value) if (!text.value.includes(`@${a.path}`)) chat.detach(key(), a.path)
  }

  return {
    text,
    attachments,
    files,
    canSend,
    attach,
    detach,
    pruneAttachments,
    removeFile: (id) => chat.removeFile(key(), id),
  }
}
