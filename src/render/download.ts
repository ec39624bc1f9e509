/**
 * Hands text to the browser as a file to save (an object URL on a temporary `<a download>`), e.g.
 * a session export. Nothing leaves the machine.
 */

/** Saves `text` as `fileName` with the MIME type `mime` (e.g. `text/markdown`). */
export function downloadText(fileName: string, text: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${mime};charset=utf-8` }))
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.rel = 'noopener'
  document.body.append(link)
  link.click()
  link.remove()
  // Revoked after the click has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
