import { describe, expect, it } from "vitest";
import { z } from "zod";
import { HttpError, describeZodError, parseJson } from "@/lib/http/errors";
import { decimalId, fieldError, oneOf, positiveWholeNumber } from "@/lib/http/fields";
import { versionNumberSchema } from "@/lib/workspace/files";

/** The message a route would answer for `input` (describeZodError of the first issue). */
function messageFor(schema: z.ZodType, input: unknown): string {
  const result = schema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be refused`);
  return describeZodError(result.error);
}

describe("fieldError: every issue of a field says what is wrong with it", () => {
  const body = z.strictObject({
    cap: positiveWholeNumber("cap", "credits").optional(),
    path: z.string({ error: fieldError("path", "a file path") }).min(1).max(1024),
    tags: z.array(z.string(), { error: fieldError("tags", "a list") }).min(1).max(2).optional(),
  });

  it.each([
    [{ path: "a", cap: -5 }, "cap must be a positive whole number of credits."],
    [{ path: "a", cap: 0 }, "cap must be a positive whole number of credits."],
    [{ path: "a", cap: 1.5 }, "cap must be a positive whole number of credits."],
    [{ path: "a", cap: "12" }, "cap must be a positive whole number of credits."],
    [{ path: "a", cap: 2 ** 60 }, "cap must be a positive whole number of credits, at most 9007199254740991."],
    [{ path: "a".repeat(2000) }, "path is too long (at most 1024 characters)."],
    [{ path: "" }, "path must not be empty."],
    [{}, "path is required."],
    [{ path: 7 }, "path must be a file path."],
    [{ path: "a", tags: [] }, "tags must have at least 1 item."],
    [{ path: "a", tags: ["a", "b", "c"] }, "tags has too many items (at most 2)."],
  ])("%j → %s", (input, message) => {
    expect(messageFor(body, input)).toBe(message);
  });

  it("keeps a check's own message", () => {
    const prompt = z.string({ error: fieldError("prompt", "a string") }).trim().min(1, { error: "Describe the app." }).max(3);
    expect(messageFor(prompt, "  ")).toBe("Describe the app.");
    expect(messageFor(prompt, "abcd")).toBe("prompt is too long (at most 3 characters).");
    expect(messageFor(prompt, 5)).toBe("prompt must be a string.");
  });

  it("names the choices of an enum", () => {
    expect(messageFor(z.object({ provider: oneOf("provider", ["vercel", "netlify"]) }), { provider: "heroku" })).toBe(
      'provider must be one of "vercel", "netlify".',
    );
  });

  it("prefixes a nested field's message with where it is", () => {
    const nested = z.object({ files: z.array(z.object({ path: z.string({ error: fieldError("path", "a file path") }).max(3) })) });
    expect(messageFor(nested, { files: [{ path: "abcd" }] })).toBe("files.0.path: path is too long (at most 3 characters).");
  });
});

describe("decimalId and version numbers: plain decimal digits only", () => {
  it.each([
    ["1", 1],
    ["12", 12],
    ["9007199254740991", Number.MAX_SAFE_INTEGER],
  ])("%j → %d", (text, number) => {
    expect(versionNumberSchema.parse(text)).toBe(number);
    expect(decimalId("n").parse(text)).toBe(number);
  });

  it.each(["0x1", "1e0", "01", "0", "-1", "+1", " 1", "1 ", "1.0", "1.", "", "abc", "Infinity", "9007199254740993", "1_000"])(
    "refuses %j",
    (text) => {
      expect(versionNumberSchema.safeParse(text).success).toBe(false);
    },
  );

  it("says what a version number must look like", () => {
    expect(messageFor(versionNumberSchema, "0x1")).toBe("Version number must be a positive whole number written in digits (like 3).");
  });
});

describe("parseJson requires a JSON content type", () => {
  const schema = z.object({ a: z.number() });
  const post = (headers: Record<string, string>, body = '{"a":1}') =>
    new Request("http://localhost/api/x", { method: "POST", headers, body });

  it.each(["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8", " application/json "])(
    "accepts %j",
    async (contentType) => {
      await expect(parseJson(post({ "content-type": contentType }), schema)).resolves.toEqual({ a: 1 });
    },
  );

  it.each([undefined, "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp", "application/json-seq"])(
    "answers 415 for %j",
    async (contentType) => {
      const headers: Record<string, string> = contentType === undefined ? {} : { "content-type": contentType };
      // A string body gets text/plain from the Request constructor unless a type is given: send bytes when none is.
      const request =
        contentType === undefined
          ? new Request("http://localhost/api/x", { method: "POST", body: new TextEncoder().encode('{"a":1}') })
          : post(headers);
      const error = await parseJson(request, schema).then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 415, code: "unsupported_media_type" });
      expect((error as HttpError).message).toMatch(/Content-Type: application\/json/);
    },
  );
});
