import { describe, expect, it } from "vitest";
import { scrubSecret } from "@/lib/git/push";
import { branchNameProblem, isValidBranchName, MAX_BRANCH_NAME_LENGTH } from "@/lib/git/ref-name";
import { parseAllowedHosts, RemoteUrlError, validateRemoteUrl } from "@/lib/git/remote-url";

describe("branch names", () => {
  it("accepts ordinary branch names, nested ones and unicode", () => {
    for (const name of ["main", "autocrea", "feature/login-page", "release-1.2", "user/ada/ünï", "a", "x_y+z"]) {
      expect(branchNameProblem(name), name).toBeNull();
    }
  });

  it("rejects what git check-ref-format and git branch refuse", () => {
    const bad = [
      "",
      "a..b",
      "has space",
      "tab\there",
      "new\nline",
      "tilde~1",
      "caret^",
      "colon:x",
      "what?",
      "star*",
      "open[bracket",
      "back\\slash",
      "-leading-dash",
      "ends.lock",
      "dir/ends.lock/x",
      "trailing/",
      "/leading",
      "double//slash",
      "ends-with-dot.",
      ".hidden",
      "dir/.hidden",
      "at@{brace",
      "@",
      "HEAD",
      "del\x7f",
      "x".repeat(MAX_BRANCH_NAME_LENGTH + 1),
    ];
    for (const name of bad) expect(isValidBranchName(name), JSON.stringify(name)).toBe(false);
    expect(branchNameProblem("a..b")).toMatch(/\.\./);
  });
});

describe("remote URLs", () => {
  const allowed = parseAllowedHosts(" GitHub.com, gitlab.com ,,127.0.0.1:8123");

  it("parses the allow-list lower-cased without blanks", () => {
    expect(allowed).toEqual(["github.com", "gitlab.com", "127.0.0.1:8123"]);
  });

  it("accepts https remotes on allowed hosts and http only for a listed host:port", () => {
    expect(validateRemoteUrl("https://github.com/ada/app.git", allowed).href).toBe("https://github.com/ada/app.git");
    expect(validateRemoteUrl("https://GITLAB.com/group/sub/app", allowed).host).toBe("gitlab.com");
    expect(validateRemoteUrl("https://github.com:443/ada/app.git", allowed).host).toBe("github.com");
    expect(validateRemoteUrl("http://127.0.0.1:8123/app.git", allowed).port).toBe("8123");
  });

  it("rejects other hosts, schemes, ports, credentials, queries and bare hosts", () => {
    const bad = [
      "not a url",
      "https://evil.example.com/a/b.git",
      "https://github.com.evil.example/a/b.git",
      "https://127.0.0.1/a.git",
      "https://127.0.0.1:9999/a.git",
      "https://github.com:8443/a/b.git",
      "http://github.com/a/b.git",
      "ssh://git@github.com/a/b.git",
      "git://github.com/a/b.git",
      "file:///etc/passwd",
      "https://user:pass@github.com/a/b.git",
      "https://token@github.com/a/b.git",
      "https://github.com/a/b.git?x=1",
      "https://github.com/a/b.git#frag",
      "https://github.com/",
      "https://github.com",
      `https://github.com/${"a".repeat(3000)}`,
    ];
    for (const url of bad) expect(() => validateRemoteUrl(url, allowed), url).toThrow(RemoteUrlError);
  });

  it("never repeats the credentials it refuses", () => {
    try {
      validateRemoteUrl("https://ada:hunter2-secret@github.com/a/b.git", allowed);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain("hunter2-secret");
    }
  });
});

describe("scrubbing tokens", () => {
  it("removes the token, its Basic-auth form and URL credentials", () => {
    const token = "ghp_abc123SECRET";
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    const text = `failed ${token} at https://x-access-token:${token}@github.com/a.git with Basic ${basic}`;
    const scrubbed = scrubSecret(text, token, "x-access-token");
    expect(scrubbed).not.toContain(token);
    expect(scrubbed).not.toContain(basic);
    expect(scrubbed).toContain("https://***@github.com/a.git");
  });
});
