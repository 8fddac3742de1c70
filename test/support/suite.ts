// uvu's `test` and `suite` with two things uvu lacks: a time limit per test, so a hung test fails with its name
// instead of hanging the whole run, and hooks whose errors are printed (uvu's runner returns from a `finally`, which
// swallows an error thrown by a `before` hook: its tests were counted as failed with no reason given).
import { suite as uvuSuite, type Callback, type Test } from 'uvu';

/** Per test, unless the test gives its own; TEST_TIME_LIMIT_MS overrides the default for a whole run. */
export const DEFAULT_TIME_LIMIT_MS = Number(process.env.TEST_TIME_LIMIT_MS) || 180_000;

export interface TestOptions {
  /** How long the test (its `before.each` and `after.each` hooks apart) may take before it fails. */
  timeLimitMs?: number;
}

export interface LimitedTest<T> extends Omit<Test<T>, never> {
  (name: string, handler: Callback<T>, options?: TestOptions): void;
  only(name: string, handler: Callback<T>, options?: TestOptions): void;
}

export class TimeLimitExceeded extends Error {}

function withinLimit<T>(name: string, handler: Callback<T>, limitMs: number): Callback<T> {
  return async (context) => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeLimitExceeded(`"${name}" did not finish within ${limitMs} ms`)), limitMs);
    });
    try {
      await Promise.race([handler(context), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}

function reported<T>(kind: string, hook: Callback<T>): Callback<T> {
  return async (context) => {
    try {
      await hook(context);
    } catch (error) {
      console.error(`\n${kind} hook of "${context.__suite__ || 'the file'}" failed:`, error);
      throw error;
    }
  };
}

export function suite<T = Record<string, unknown>>(title?: string, context?: T): LimitedTest<T> {
  const inner = uvuSuite<T>(title, context);
  const add = (register: (name: string, handler: Callback<T>) => void) => (name: string, handler: Callback<T>, options?: TestOptions) =>
    register(name, withinLimit(name, handler, options?.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS));
  const hooks = (kind: 'before' | 'after') =>
    Object.assign((hook: Callback<T>) => inner[kind](reported(kind, hook)), {
      each: (hook: Callback<T>) => inner[kind].each(reported(`${kind}.each`, hook)),
    });
  return Object.assign(add(inner), {
    only: add(inner.only),
    skip: inner.skip,
    before: hooks('before'),
    after: hooks('after'),
    run: inner.run,
  });
}

/** The file's default suite, as uvu's own `test`. */
export const test = suite();
