import { z, ZodError, type ZodType } from "zod";
import { HttpError, parseJson } from "@/lib/http/errors";
import { fieldError } from "@/lib/http/fields";

const email = z
  .string({ error: fieldError("Email", "a string") })
  .trim()
  .toLowerCase()
  .max(254, { error: "Email must be at most 254 characters." })
  .pipe(z.email({ error: "Enter a valid email address." }));

const password = z
  .string({ error: fieldError("Password", "a string") })
  .min(8, { error: "Password must be at least 8 characters." })
  .max(200, { error: "Password must be at most 200 characters." });

const name = z
  .string({ error: fieldError("Name", "a string") })
  .trim()
  .min(1, { error: "Name is required." })
  .max(80, { error: "Name must be at most 80 characters." });

export const registerSchema = z.object({ name, email, password });

export const loginSchema = z.object({
  email,
  // Login does not re-apply the sign-up rules: only shape and an upper bound.
  password: z
    .string({ error: fieldError("Password", "a string") })
    .min(1, { error: "Password is required." })
    .max(200, { error: "Password must be at most 200 characters." }),
});

export type RegisterInput = z.infer<typeof registerSchema>;
export type LoginInput = z.infer<typeof loginSchema>;

const MAX_AUTH_BODY = 4 * 1024;

/** parseJson with the schema's own wording as the message (shown inline by the forms). */
export async function parseAuthBody<T>(request: Request, schema: ZodType<T>): Promise<T> {
  try {
    return await parseJson(request, schema, { maxBytes: MAX_AUTH_BODY });
  } catch (err) {
    if (err instanceof ZodError) {
      const first = err.issues[0];
      // A non-object body (array, string, null) fails at the root.
      const message = first && first.path.length > 0 ? first.message : "Request body must be a JSON object.";
      throw new HttpError(400, "invalid_request", message, {
        issues: err.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      });
    }
    throw err;
  }
}
