import { DomainError } from '../../src/domain/errors.js';

/** The DomainError `run` refuses with; fails if it is accepted, rethrows any other error. */
export async function refusal(run: () => Promise<unknown>): Promise<DomainError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('accepted');
}
