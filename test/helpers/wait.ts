// Waiting on real processes in tests: a condition polled until it holds.

/** Polls `check` every 50 ms until it holds; throws after `ms`. */
export async function waitFor(check: () => boolean, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
