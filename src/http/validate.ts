// Validation at the edge: zod schemas in, typed values out, or a validation error naming every field at fault.
import type { z } from 'zod';
import { validationFailed } from '../domain/errors.js';

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationFailed(
    result.error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', message: issue.message })),
  );
}
