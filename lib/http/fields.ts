import { z } from "zod";

/**
 * Messages for the fields of requests, issue by issue.
 *
 * In zod 4 a schema's own `error` answers for EVERY issue that schema raises: its type check and
 * each check that has no message of its own (`.positive()`, `.int()`, `.max(n)`…). A fixed string
 * there — `z.number({ error: "cap must be a number." })` — therefore names the wrong problem for
 * `-5`, and `z.string({ error: "path is required." })` for a path that is too long. So a field's
 * schema-level error is always `fieldError(field, expected)`, which says what is wrong with this
 * value; eslint.config.mjs refuses a plain string there.
 *
 * Runtime-neutral (zod only): route handlers, lib schemas and the browser may use it.
 */

type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

function plural(n: number | bigint, word: string): string {
  return `${n} ${word}${Number(n) === 1 ? "" : "s"}`;
}

/** The message for one issue of `field`, whose valid values are described by `expected` ("a positive whole number"). */
export function describeFieldIssue(field: string, expected: string, issue: RawIssue): string {
  const mustBe = `${field} must be ${expected}.`;
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined ? `${field} is required.` : mustBe;
    case "too_small":
      if (issue.origin === "string") {
        return Number(issue.minimum) <= 1 ? `${field} must not be empty.` : `${field} must be at least ${plural(issue.minimum, "character")}.`;
      }
      if (issue.origin === "array" || issue.origin === "set") return `${field} must have at least ${plural(issue.minimum, "item")}.`;
      return mustBe;
    case "too_big":
      if (issue.origin === "string") return `${field} is too long (at most ${plural(issue.maximum, "character")}).`;
      if (issue.origin === "array" || issue.origin === "set") return `${field} has too many items (at most ${issue.maximum}).`;
      if (issue.origin === "number" || issue.origin === "int" || issue.origin === "bigint") {
        return `${field} must be ${expected}, at most ${issue.maximum}.`;
      }
      return mustBe;
    default:
      return mustBe;
  }
}

/**
 * The schema-level `error` of a field: `z.number({ error: fieldError("cap", "a positive whole number of credits") })`.
 * A check given its own message keeps it; every other issue gets one that names its real problem.
 */
export function fieldError(field: string, expected: string): z.core.$ZodErrorMap {
  return (issue) => describeFieldIssue(field, expected, issue);
}

/** A whole number ≥ 1 (and a safe integer), e.g. a spend cap in credits. */
export function positiveWholeNumber(field: string, unit?: string) {
  const expected = `a positive whole number${unit ? ` of ${unit}` : ""}`;
  return z.number({ error: fieldError(field, expected) }).int().positive().max(Number.MAX_SAFE_INTEGER);
}

/** One of `values`. */
export function oneOf<const T extends readonly [string, ...string[]]>(field: string, values: T) {
  return z.enum(values, { error: fieldError(field, `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`) });
}

const PLAIN_DECIMAL = /^[1-9][0-9]{0,15}$/;

/**
 * A positive whole number written as plain decimal digits (a version number in a URL): "12" is
 * 12, but "0x1", "1e0", "01", " 1", "1.0" and "+1" are refused rather than read as 1 the way
 * `Number()` and `z.coerce.number()` read them.
 */
export function decimalId(field: string) {
  return z
    .string({ error: fieldError(field, "a positive whole number") })
    .regex(PLAIN_DECIMAL, { error: `${field} must be a positive whole number written in digits (like 3).` })
    .transform(Number)
    .pipe(z.number().max(Number.MAX_SAFE_INTEGER, { error: `${field} is too large.` }));
}
