/** Checks of settings that every provider room makes the same way. */

/** A message saying what is wrong with a WebSocket URL override, or null. */
export function webSocketUrlProblem(provider: string, url: string): string | null {
  if (!url) return null;
  try {
    const protocol = new URL(url).protocol;
    return protocol === 'ws:' || protocol === 'wss:' ? null : `${provider}: the stream URL must start with wss:// (or ws://), got ${protocol}`;
  } catch {
    return `${provider}: the stream URL is not a URL; leave it empty for the default`;
  }
}
