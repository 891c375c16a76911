import { describe, expect, it } from "vitest";
import { boundHistory, MAX_TURNS, type ChatTurn } from "@/components/chat/question-history";
import { problemFrom } from "@/lib/client/api-errors";

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("problemFrom", () => {
  it("reads 402 with the numbers", async () => {
    expect(await problemFrom(json(402, { error: "insufficient_credits", message: "This needs 30 credits and you have 4.", required: 30, available: 4 }))).toEqual({
      kind: "insufficient_credits",
      required: 30,
      available: 4,
      message: "This needs 30 credits and you have 4.",
    });
  });

  it("reads 429 with Retry-After, else the body's retryAfterSec", async () => {
    expect(await problemFrom(json(429, { error: "rate_limited", message: "Too many." }, { "retry-after": "17" }))).toMatchObject({ kind: "rate_limited", retryAfterSec: 17 });
    expect(await problemFrom(json(429, { error: "rate_limited", message: "Too many.", retryAfterSec: 9 }))).toMatchObject({ kind: "rate_limited", retryAfterSec: 9 });
  });

  it("tells no provider apart from other 503s, and keeps the field of a 400", async () => {
    expect(await problemFrom(json(503, { error: "no_provider", message: "No AI provider is configured." }))).toMatchObject({ kind: "no_provider" });
    expect(await problemFrom(json(503, { error: "encryption_unavailable", message: "Saving API keys is disabled." }))).toMatchObject({
      kind: "other",
      status: 503,
      code: "encryption_unavailable",
    });
    expect(await problemFrom(json(400, { error: "invalid_request", message: "Name is required.", issues: [{ path: "name", message: "Name is required." }] }))).toMatchObject({
      kind: "other",
      field: "name",
    });
  });

  it("ends a server-side failure's message with its request id, for whoever runs the server to find it", async () => {
    expect(await problemFrom(json(500, { error: "internal_error", message: "Something went wrong on our side. Please try again.", requestId: "r-42" }))).toEqual({
      kind: "other",
      status: 500,
      code: "internal_error",
      message: "Something went wrong on our side. Please try again. (Reference: r-42)",
      requestId: "r-42",
    });
    expect(await problemFrom(json(409, { error: "conflict", message: "Taken.", requestId: "r-43" }))).toMatchObject({ message: "Taken.", requestId: "r-43" });
  });

  it("survives a body that is not JSON", async () => {
    expect(await problemFrom(new Response("<html>oops</html>", { status: 502 }))).toEqual({
      kind: "other",
      status: 502,
      code: "error",
      message: "The request failed (HTTP 502).",
    });
  });
});

describe("boundHistory", () => {
  it("keeps the latest turns, starting with the user's", () => {
    const turns: ChatTurn[] = Array.from({ length: 45 }, (_, i) => ({ role: i % 2 === 0 ? "user" : "assistant", content: `turn ${i}` }));
    const kept = boundHistory(turns);
    expect(kept.length).toBeLessThanOrEqual(MAX_TURNS);
    expect(kept[0].role).toBe("user");
    expect(kept.at(-1)?.content).toBe("turn 44");
  });

  it("drops the oldest turns when the conversation is too long", () => {
    const big = "x".repeat(25_000);
    const kept = boundHistory([
      { role: "user", content: big },
      { role: "assistant", content: big },
      { role: "user", content: big },
      { role: "assistant", content: "short" },
      { role: "user", content: "last question" },
    ]);
    expect(kept.map((t) => t.content.length)).toEqual([25_000, 5, 13]);
    expect(kept[0].role).toBe("user");
  });
});
