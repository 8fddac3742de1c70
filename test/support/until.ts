// Waiting in tests for something the service or pool does on its own time, by polling what it exposes.

/**
 * Polls `condition` every 10 ms until it holds; throws naming `what` if `limitMs` pass first. Limits are generous on
 * purpose: a loaded CI machine can take seconds to stop a conversion or to hand a thread back. (A reservation that
 * never came back after an aborted upload was once put down to such slowness; it was a leak, fixed in 4c5a0d4.)
 */
export async function until(what: string, condition: () => boolean | Promise<boolean>, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
