/** A JSON response with status 200, as `opencode serve` answers its REST reads. */
export function jsonResponse(data: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(data), { status: 200, headers: { 'content-type': 'application/json', ...headers } })
}
