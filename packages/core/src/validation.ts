import type { z } from "zod";
import { invalid } from "./errors.ts";

/** Parses with zod; a failure becomes INVALID_PARAMETER_VALUE naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.join(".");
  throw invalid(field ? `${issue.message} (field '${field}')` : issue.message);
}
