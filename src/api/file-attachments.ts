/**
 * Image and PDF attachments of a prompt (pasted, dropped or picked): the size and type limits,
 * reading a file into a `data:` URL, and the SDK v2 `file` part (`FilePartInput`) it is sent as.
 * Pure except {@link readAttachment}, which reads the file's bytes. Sizes and refusals are worded
 * in the current locale (the `prompt.attachments` messages of src/i18n).
 */
import type { FilePartInput } from '@opencode-ai/sdk/v2/types'
import { intlLocale, t } from '../i18n/index.ts'
import { newPartId } from './ids.ts'

/** Largest attachment accepted, in bytes (10 MiB). The `data:` URL sent is about 4/3 of this. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

/** MIME types an attachment may have: raster images models read, and PDF. */
export const ATTACHMENT_MIME_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf']

/** The `accept` attribute of the file picker. */
export const ATTACHMENT_ACCEPT = 'image/*,application/pdf'

/** An image or PDF attached to a prompt, read into memory. */
export interface FileAttachment {
  /** Client key for the chip (unique in the tab); the sent part gets a new part id. */
  id: string
  /** File name as the user's system gave it (`image.png` for a pasted image without one). */
  filename: string
  /** MIME type, one of {@link ATTACHMENT_MIME_TYPES}. */
  mime: string
  /** Size of the file in bytes. */
  size: number
  /** `data:<mime>;base64,<bytes>` */
  url: string
}

/** What {@link checkAttachment} needs of a file (a `File` fits). */
export interface FileFacts {
  name: string
  /** MIME type; empty when the browser does not know it. */
  type: string
  /** Bytes. */
  size: number
}

/** Whether a file may be attached: `{ ok: true }`, or `{ ok: false, reason }` in words for the composer. */
export type AttachmentCheck = { ok: true } | { ok: false; reason: string }

/** One decimal in the app's locale, no grouping (`3.4`, `1500.0`; `3,4` in German). */
function oneDecimal(n: number): string {
  return new Intl.NumberFormat(intlLocale(), { minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false }).format(n)
}

/** Formats a byte count for people: `512 B`, `3.4 KB`, `12.0 MB` (1 KB = 1024 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return t('prompt.attachments.bytes', { size: bytes })
  if (bytes < 1024 * 1024) return t('prompt.attachments.kilobytes', { size: oneDecimal(bytes / 1024) })
  return t('prompt.attachments.megabytes', { size: oneDecimal(bytes / (1024 * 1024)) })
}

/** Whether `mime` is an image type the composer attaches (for thumbnails). */
export function isImageMime(mime: string): boolean {
  return mime.startsWith('image/')
}

/**
 * Checks a file against the limits: a type in {@link ATTACHMENT_MIME_TYPES}, not empty, at most
 * `maxBytes` (default {@link MAX_ATTACHMENT_BYTES}).
 */
export function checkAttachment(file: FileFacts, maxBytes: number = MAX_ATTACHMENT_BYTES): AttachmentCheck {
  const name = file.name || t('prompt.attachments.unnamedFile')
  if (!ATTACHMENT_MIME_TYPES.includes(file.type)) {
    const reason = file.type
      ? t('prompt.attachments.unsupportedTypeOf', { name, type: file.type })
      : t('prompt.attachments.unsupportedType', { name })
    return { ok: false, reason }
  }
  if (file.size === 0) return { ok: false, reason: t('prompt.attachments.empty', { name }) }
  if (file.size > maxBytes) {
    return { ok: false, reason: t('prompt.attachments.tooLarge', { name, size: formatBytes(file.size), max: formatBytes(maxBytes) }) }
  }
  return { ok: true }
}

/** Encodes bytes as base64 (no line breaks), in chunks so large files do not overflow the call stack. */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  const chunk = 0x8000
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk))
  return btoa(binary)
}

/** `data:<mime>;base64,<bytes>` */
export function dataUrl(mime: string, bytes: Uint8Array): string {
  return `data:${mime};base64,${toBase64(bytes)}`
}

let attachmentSeq = 0

/** The name a pasted file gets when it has none: `pasted-image.png`, `pasted-file.pdf`. */
function defaultName(mime: string): string {
  const ext = mime === 'image/jpeg' ? 'jpg' : (mime.split('/')[1] ?? 'bin')
  return `${isImageMime(mime) ? 'pasted-image' : 'pasted-file'}.${ext}`
}

/**
 * Reads a file into an attachment after {@link checkAttachment}.
 * @returns the attachment, or `{ error }` with the reason it was refused or could not be read.
 */
export async function readAttachment(file: File, maxBytes: number = MAX_ATTACHMENT_BYTES): Promise<FileAttachment | { error: string }> {
  const check = checkAttachment(file, maxBytes)
  if (!check.ok) return { error: check.reason }
  try {
    const bytes = new Uint8Array(await file.arrayBuffer())
    return { id: `att-${++attachmentSeq}`, filename: file.name || defaultName(file.type), mime: file.type, size: file.size, url: dataUrl(file.type, bytes) }
  } catch (err) {
    const name = file.name || t('prompt.attachments.unnamedFile')
    return { error: t('prompt.attachments.unreadable', { name, error: err instanceof Error ? err.message : String(err) }) }
  }
}

/** The files of a paste or drop (`DataTransfer`); none for plain text. */
export function filesOf(transfer: DataTransfer | null): File[] {
  if (!transfer) return []
  const files: File[] = []
  for (const item of Array.from(transfer.items)) {
    if (item.kind !== 'file') continue
    const file = item.getAsFile()
    if (file) files.push(file)
  }
  if (files.length === 0) files.push(...Array.from(transfer.files))
  return files
}

/** Whether a drag carries files (so the composer accepts the drop). */
export function dragHasFiles(transfer: DataTransfer | null): boolean {
  return transfer !== null && Array.from(transfer.types).includes('Files')
}

/**
 * The SDK v2 `file` part an attachment is sent as: `{ id, type: 'file', mime, filename, url }`
 * with the `data:` URL and a new part id (ids order a message's parts: make it after the text's).
 */
export function attachmentFilePart(att: FileAttachment): FilePartInput {
  return { id: newPartId(), type: 'file', mime: att.mime, filename: att.filename, url: att.url }
}
