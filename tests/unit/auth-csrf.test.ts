import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { resetEnvForTests } from "@/lib/env";
import { assertSameOrigin, isSameOriginRequest } from "@/lib/http/csrf";
import { HttpError } from "@/lib/http/errors";

const originalAppUrl = process.env.APP_URL;

function post(url: string, headers: Record<string, string> = {}, method = "POST") {
  return new Request(url, { method, headers });
}

describe("same-origin check for state-changing requests", () => {
  beforeEach(() => {
    process.env.APP_URL = "https://autocrea.example";
    resetEnvForTests();
  });
  afterAll(() => {
    if (originalAppUrl === undefined) delete process.env.APP_URL;
    else process.env.APP_URL = originalAppUrl;
    resetEnvForTests();
  });

  it("allows an Origin equal to APP_URL or to the request's own origin", () => {
    expect(isSameOriginRequest(post("http://localhost:3000/api/x", { origin: "https://autocrea.example" }))).toBe(true);
    expect(isSameOriginRequest(post("http://localhost:3000/api/x", { origin: "http://localhost:3000" }))).toBe(true);
  });

  it("allows the public host a reverse proxy forwards", () => {
    const request = post("http://10.0.0.5:3000/api/x", {
      origin: "https://preview.autocrea.dev",
      "x-forwarded-host": "preview.autocrea.dev",
      "x-forwarded-proto": "https",
    });
    expect(isSameOriginRequest(request)).toBe(true);
  });

  it("refuses a foreign Origin, a different scheme or port, and the opaque 'null' origin", () => {
    for (const origin of ["https://evil.example", "http://autocrea.example", "https://autocrea.example:8443", "null"]) {
      expect(isSameOriginRequest(post("https://autocrea.example/api/x", { origin }))).toBe(false);
    }
  });

  it("refuses when Sec-Fetch-Site says cross-site, even without Origin", () => {
    expect(isSameOriginRequest(post("https://autocrea.example/api/x", { "sec-fetch-site": "cross-site" }))).toBe(false);
    expect(
      isSameOriginRequest(post("https://autocrea.example/api/x", { "sec-fetch-site": "same-origin", origin: "https://autocrea.example" })),
    ).toBe(true);
  });

  it("lets through requests that carry neither header (non-browser clients)", () => {
    expect(isSameOriginRequest(post("https://autocrea.example/api/x"))).toBe(true);
  });

  it("does not check safe methods", () => {
    expect(isSameOriginRequest(post("https://autocrea.example/api/x", { origin: "https://evil.example" }, "GET"))).toBe(true);
  });

  it("assertSameOrigin throws a 403 with error code csrf", () => {
    let thrown: unknown;
    try {
      assertSameOrigin(post("https://autocrea.example/api/x", { origin: "https://evil.example" }));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HttpError);
    expect((thrown as HttpError).status).toBe(403);
    expect((thrown as HttpError).code).toBe("csrf");
  });
});
