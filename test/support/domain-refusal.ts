import { DomainError } from '../../src/domain/errors.js';

/** Whatever `run` rejects with; fails if it is accepted. */
export async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('accepted');
}

/** The DomainError `run` refuses with; fails if it is accepted, rethrows any other error. */
export async function refusal(run: () => Promise<unknown>): Promise<DomainError> {
  const error = await rejection(run);
  if (error instanceof DomainError) return error;
  throw error;
}
