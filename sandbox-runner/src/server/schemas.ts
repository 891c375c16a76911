import { z } from "zod";
import { partialLimitsSchema, SESSION_COMMAND_MAX_LIMITS } from "../limits";

/** Request bodies of the session routes (execute's schema lives with execute()). */

export const MAX_SESSION_FILES_PER_REQUEST = 1000;
export const MAX_COMMAND_LENGTH = 64 * 1024;
export const MAX_ARGV = 256;
export const MAX_STDIN_BYTES = 1024 * 1024;

export const CreateSessionSchema = z.strictObject({
  /** The app's user the session belongs to; terminal tickets must name the same user. */
  userId: z.string().min(1).max(200),
});

export const WriteFilesSchema = z.strictObject({
  files: z
    .array(z.strictObject({ path: z.string(), content: z.string() }))
    .max(MAX_SESSION_FILES_PER_REQUEST, `at most ${MAX_SESSION_FILES_PER_REQUEST} files per request`),
  deletes: z
    .array(z.string())
    .max(MAX_SESSION_FILES_PER_REQUEST, `at most ${MAX_SESSION_FILES_PER_REQUEST} deletes per request`)
    .optional(),
});

export const RunCommandSchema = z
  .strictObject({
    /** A shell command line, run with /bin/sh -c. */
    command: z.string().min(1).max(MAX_COMMAND_LENGTH).optional(),
    /** Or an argv, run as is (argv[0] looked up on PATH inside the sandbox). */
    argv: z.array(z.string().max(MAX_COMMAND_LENGTH)).min(1).max(MAX_ARGV).optional(),
    stdin: z.string().max(MAX_STDIN_BYTES).optional(),
    limits: partialLimitsSchema(SESSION_COMMAND_MAX_LIMITS).optional(),
  })
  .refine((body) => (body.command === undefined) !== (body.argv === undefined), {
    message: "give exactly one of command or argv",
  });

export type RunCommandBody = z.infer<typeof RunCommandSchema>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** PUT /v1/sessions/:id/app: the app's command (or argv), its port, environment and install command. */
export const StartAppSchema = z
  .strictObject({
    command: z.string().min(1).max(MAX_COMMAND_LENGTH).optional(),
    argv: z.array(z.string().max(MAX_COMMAND_LENGTH)).min(1).max(MAX_ARGV).optional(),
    port: z.number().int().min(1024).max(65535),
    env: z
      .record(z.string().regex(ENV_NAME, "environment names are letters, digits and _").max(128), z.string().max(4096))
      .refine((env) => Object.keys(env).length <= 64, "at most 64 environment variables")
      .optional(),
    /** A shell command line run first when the manifest or lockfile changed since the last install. */
    install: z.string().min(1).max(MAX_COMMAND_LENGTH).optional(),
  })
  .refine((body) => (body.command === undefined) !== (body.argv === undefined), {
    message: "give exactly one of command or argv",
  });

export function commandArgv(body: Pick<RunCommandBody, "command" | "argv">): string[] {
  return body.argv ?? ["/bin/sh", "-c", body.command!];
}

export function describeZodError(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return "Invalid request.";
  const where = first.path.length ? `${first.path.join(".")}: ` : "";
  return `${where}${first.message}`;
}
