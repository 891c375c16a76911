import { describe, expect, it } from "vitest";
import {
  MAX_FILE_BYTES,
  MAX_FILES_PER_PROJECT,
  MAX_PATH_LENGTH,
  assertValidTree,
  languageForPath,
  normalizeProjectPath,
  utf8ByteLength,
  validateFileSet,
} from "@/lib/files/paths";
import { sha256Hex } from "@/lib/files/hash";
import { isStoreError } from "@/lib/store/types";

function invalidMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isStoreError(err, "invalid")).toBe(true);
    return (err as Error).message;
  }
  throw new Error("expected StoreError(invalid)");
}

describe("normalizeProjectPath", () => {
  it.each([
    ["src/App.tsx", "src/App.tsx"],
    ["./src/App.tsx", "src/App.tsx"],
    ["src//components///Button.tsx", "src/components/Button.tsx"],
    ["src\\lib\\util.ts", "src/lib/util.ts"],
    ["src/./a.ts", "src/a.ts"],
    ["dir/", "dir"],
    [".env.example", ".env.example"],
    ["..hidden/x", "..hidden/x"],
    ["e\u0301.txt", "\u00e9.txt"],
  ])("%j → %j", (input, expected) => {
    expect(normalizeProjectPath(input)).toBe(expected);
  });

  it.each([
    ["../x", /\.\./],
    ["src/../../etc/passwd", /\.\./],
    ["a/..", /\.\./],
    ["..\\x", /\.\./],
    ["/etc/passwd", /relative/],
    ["\\\\server\\share", /relative/],
    ["C:\\Windows\\system32", /drive letter/],
    ["c:x", /drive letter/],
    ["a\u0000b", /control character/],
    ["a\nb", /control character/],
    ["a\u007fb", /control character/],
    ["", /empty/],
    [".", /does not name a file/],
    ["./", /does not name a file/],
  ])("refuses %j", (input, message) => {
    expect(invalidMessage(() => normalizeProjectPath(input))).toMatch(message);
  });

  it.each([
    ["invoice\u202Etxt.exe", "U+202E"], // right-to-left override: shows as "invoiceexe.txt"
    ["src/\u2066App\u2069.tsx", "U+2066"], // isolates
    ["a\u200Bb.ts", "U+200B"], // zero-width space
    ["\uFEFFindex.html", "U+FEFF"], // byte order mark
    ["a\u200Db.ts", "U+200D"], // zero-width joiner
    ["soft\u00ADhyphen.md", "U+00AD"],
    ["line\u2028sep.txt", "U+2028"],
  ])("refuses the invisible formatting character in %j, naming it", (input, codePoint) => {
    const message = invalidMessage(() => normalizeProjectPath(input));
    expect(message).toContain(`invisible formatting character (${codePoint})`);
    // The message spells the character out instead of carrying it.
    expect(message).not.toMatch(/[\u00AD\u200B-\u200F\u2028-\u202E\u2066-\u2069\uFEFF]/);
  });

  it("refuses invisible characters in every path of a save, written or deleted", () => {
    expect(invalidMessage(() => validateFileSet({ files: [{ path: "ok.txt", content: "" }, { path: "b\u202Ec.js", content: "" }] }))).toMatch(
      /U\+202E/,
    );
    expect(invalidMessage(() => validateFileSet({ files: [], deletes: ["x\u200E.ts"] }))).toMatch(/U\+200E/);
  });

  it("bounds the length of the normalized path", () => {
    expect(normalizeProjectPath("a".repeat(MAX_PATH_LENGTH))).toHaveLength(MAX_PATH_LENGTH);
    expect(invalidMessage(() => normalizeProjectPath("a".repeat(MAX_PATH_LENGTH + 1)))).toMatch(/longer than/);
    // Redundant separators do not count against the limit.
    expect(normalizeProjectPath(`./${"a".repeat(MAX_PATH_LENGTH)}`)).toHaveLength(MAX_PATH_LENGTH);
  });
});

describe("languageForPath", () => {
  it.each([
    ["src/App.tsx", "typescript"],
    ["lib/x.mts", "typescript"],
    ["index.js", "javascript"],
    ["server.cjs", "javascript"],
    ["package.json", "json"],
    ["styles/globals.css", "css"],
    ["public/index.HTML", "html"],
    ["README.md", "markdown"],
    ["app/main.py", "python"],
    ["docker-compose.yml", "yaml"],
    ["Dockerfile", "dockerfile"],
    ["db/schema.sql", "sql"],
    [".gitignore", "plaintext"],
    ["LICENSE", "plaintext"],
    ["data.unknownext", "plaintext"],
  ])("%s → %s", (path, language) => {
    expect(languageForPath(path)).toBe(language);
  });
});

describe("utf8ByteLength", () => {
  it.each(["", "ascii", "é", "€uro", "😀", "mixed ✓ 😀 text", "\ud800 lone surrogate"])("matches the encoder for %j", (s) => {
    expect(utf8ByteLength(s)).toBe(new TextEncoder().encode(s).length);
  });
});

describe("validateFileSet", () => {
  it("returns the normalized writes and deletes", () => {
    expect(
      validateFileSet({
        files: [{ path: "./src/a.ts", content: "a" }],
        deletes: ["old.ts", "./old.ts"],
      }),
    ).toEqual({ files: [{ path: "src/a.ts", content: "a" }], deletes: ["old.ts"] });
  });

  it("refuses a file over MAX_FILE_BYTES, counted in UTF-8 bytes", () => {
    expect(() => validateFileSet({ files: [{ path: "a.txt", content: "x".repeat(MAX_FILE_BYTES) }] })).not.toThrow();
    const overByMultibyte = "é".repeat(MAX_FILE_BYTES / 2) + "x";
    expect(invalidMessage(() => validateFileSet({ files: [{ path: "a.txt", content: overByMultibyte }] }))).toMatch(
      /larger than/,
    );
  });

  it("refuses the same path twice, even when spelled differently", () => {
    const files = [
      { path: "src/a.ts", content: "1" },
      { path: "./src//a.ts", content: "2" },
    ];
    expect(invalidMessage(() => validateFileSet({ files }))).toMatch(/more than once/);
  });

  it("refuses a path both written and deleted", () => {
    expect(
      invalidMessage(() => validateFileSet({ files: [{ path: "a.ts", content: "" }], deletes: ["./a.ts"] })),
    ).toMatch(/both written and deleted/);
  });

  it("refuses an invalid delete path and a non-string content", () => {
    expect(invalidMessage(() => validateFileSet({ files: [], deletes: ["../x"] }))).toMatch(/\.\./);
    const files = [{ path: "a.ts", content: 42 as unknown as string }];
    expect(invalidMessage(() => validateFileSet({ files }))).toMatch(/must be a string/);
  });
});

describe("assertValidTree", () => {
  it("accepts a normal tree", () => {
    expect(() => assertValidTree(["a.ts", "src/a.ts", "src/lib/b.ts", "srcx"])).not.toThrow();
  });

  it("refuses a path that is both a file and a folder", () => {
    expect(invalidMessage(() => assertValidTree(["src/lib", "src/lib/b.ts"]))).toMatch(/both a file and the folder/);
  });

  it("bounds the number of files", () => {
    const paths = (n: number) => Array.from({ length: n }, (_, i) => `f${i}.txt`);
    expect(() => assertValidTree(paths(MAX_FILES_PER_PROJECT))).not.toThrow();
    expect(invalidMessage(() => assertValidTree(paths(MAX_FILES_PER_PROJECT + 1)))).toMatch(/at most/);
  });
});

describe("sha256Hex", () => {
  it("hashes the UTF-8 content", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
