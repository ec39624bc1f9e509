/**
 * Reading a project's whole session list from `GET /session` (opencode 1.18.33). The endpoint
 * answers only the `limit` most recently updated sessions — 100 when `limit` is absent — and has
 * no offset. Both the app's sidebar and the relay's catch-up need every session: a session missing
 * from the body of `POST /sync/history` comes back with its FULL history (checked: 120 sessions,
 * the 20 beyond the default 100 came back in full).
 */

/** First `limit` asked for by {@link listAllSessions}. */
export const SESSION_LIST_PAGE = 1_000

/** Factor by which {@link listAllSessions} grows `limit` while an answer fills it. */
export const SESSION_LIST_GROWTH = 4

/**
 * Reads a whole list through `page(limit)` (one `GET /session?limit=…`): asks for
 * {@link SESSION_LIST_PAGE} and, while the answer holds exactly `limit` items, asks again with a
 * limit {@link SESSION_LIST_GROWTH} times larger (one request up to 999 sessions, two up to 3,999).
 * An answer longer than `limit` (a server that ignores it) is taken as the whole list.
 * @throws whatever `page` throws.
 */
export async function listAllSessions<T>(page: (limit: number) => Promise<T[]>): Promise<T[]> {
  for (let limit = SESSION_LIST_PAGE; ; limit *= SESSION_LIST_GROWTH) {
    const items = await page(limit)
    if (items.length !== limit) return items
  }
}
