import { describe, expect, it } from "vitest";
import { RequestError } from "../src/errors";
import { execute } from "../src/execute";
import { MAX_LIMITS } from "../src/limits";
import { listRuntimes } from "../src/runtimes";
import { leakedCgroups } from "../src/sandbox/cgroup";

interface LanguageCase {
  language: string;
  path: string;
  hello: string;
  echoStdin: string;
  compileError?: string;
  runtimeError: string;
}

const cases: LanguageCase[] = [
  {
    language: "python",
    path: "main.py",
    hello: 'print("hello, world")',
    echoStdin: "import sys\nprint(sys.stdin.read().strip()[::-1])",
    runtimeError: "raise SystemExit(3)",
  },
  {
    language: "javascript",
    path: "main.js",
    hello: 'console.log("hello, world")',
    echoStdin: 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log([...s.trim()].reverse().join("")));',
    runtimeError: 'throw new Error("boom")',
  },
  {
    language: "typescript",
    path: "main.ts",
    hello: 'const greeting: string = "hello, world";\nconsole.log(greeting);',
    echoStdin:
      'let s: string = "";\nprocess.stdin.on("data", (d: Buffer) => (s += d)).on("end", () => console.log([...s.trim()].reverse().join("")));',
    compileError: "const x: number = ;",
    runtimeError: 'throw new Error("boom");',
  },
  {
    language: "c",
    path: "main.c",
    hello: '#include <stdio.h>\nint main(void) { puts("hello, world"); return 0; }',
    echoStdin:
      '#include <stdio.h>\n#include <string.h>\nint main(void) { char b[64]; if (!fgets(b, 64, stdin)) return 1; b[strcspn(b, "\\n")] = 0; for (int i = strlen(b) - 1; i >= 0; i--) putchar(b[i]); putchar(10); return 0; }',
    compileError: "int main(void) { return undeclared; }",
    runtimeError: "int main(void) { return 3; }",
  },
  {
    language: "c++",
    path: "main.cpp",
    hello: '#include <iostream>\nint main() { std::cout << "hello, world" << std::endl; }',
    echoStdin:
      '#include <iostream>\n#include <string>\n#include <algorithm>\nint main() { std::string s; std::getline(std::cin, s); std::reverse(s.begin(), s.end()); std::cout << s << std::endl; }',
    compileError: "int main() { return undeclared; }",
    runtimeError: "#include <stdexcept>\nint main() { throw std::runtime_error(\"boom\"); }",
  },
  {
    language: "java",
    path: "Main.java",
    hello: 'public class Main { public static void main(String[] args) { System.out.println("hello, world"); } }',
    echoStdin:
      "public class Main { public static void main(String[] args) { String s = new java.util.Scanner(System.in).nextLine(); System.out.println(new StringBuilder(s).reverse()); } }",
    compileError: "public class Main { public static void main(String[] args) { int x = ; } }",
    runtimeError: 'public class Main { public static void main(String[] args) { throw new RuntimeException("boom"); } }',
  },
  {
    language: "bash",
    path: "main.sh",
    hello: 'echo "hello, world"',
    echoStdin: "read -r line; echo \"$line\" | rev",
    runtimeError: "exit 3",
  },
];

describe("execute", () => {
  it("lists every runtime with a version", async () => {
    const runtimes = await listRuntimes();
    expect(runtimes.map((runtime) => runtime.language).sort()).toEqual(
      ["bash", "c", "c++", "java", "javascript", "python", "typescript"].sort(),
    );
    for (const runtime of runtimes) expect(runtime.version).toMatch(/^\d+\.\d+/);
  });

  describe.each(cases)("$language", (c) => {
    it("runs hello world", async () => {
      const result = await execute({ language: c.language, files: [{ path: c.path, content: c.hello }] });
      if (c.compileError) expect(result.compile?.status).toBe("OK");
      else expect(result.compile).toBeUndefined();
      expect(result.run).toMatchObject({ status: "OK", exitCode: 0, stdout: "hello, world\n", truncated: false });
      expect(result.run!.wallMs).toBeGreaterThan(0);
      expect(result.run!.memoryBytes).toBeGreaterThan(0);
    });

    it("reads stdin", async () => {
      const result = await execute({ language: c.language, files: [{ path: c.path, content: c.echoStdin }], stdin: "stressed\n" });
      expect(result.run).toMatchObject({ status: "OK", stdout: "desserts\n" });
    });

    it("reports a runtime error as RE", async () => {
      const result = await execute({ language: c.language, files: [{ path: c.path, content: c.runtimeError }] });
      expect(result.run!.status).toMatch(/^(RE|SG)$/);
      expect(result.run!.status === "RE" ? result.run!.exitCode : result.run!.signal).toBeTruthy();
    });

    if (c.compileError) {
      it("stops at a compile error with the compiler's message", async () => {
        const result = await execute({ language: c.language, files: [{ path: c.path, content: c.compileError! }] });
        expect(result.compile!.status).toBe("RE");
        expect(result.compile!.stderr + result.compile!.stdout).toMatch(/error/i);
        expect(result.run).toBeUndefined();
      });
    }
  });

  it("runs multi-file programs and passes args", async () => {
    const python = await execute({
      language: "py",
      files: [
        { path: "main.py", content: "import sys\nfrom lib.util import shout\nprint(shout(sys.argv[1:]))" },
        { path: "lib/__init__.py", content: "" },
        { path: "lib/util.py", content: "def shout(words):\n    return ' '.join(words).upper()" },
      ],
      args: ["a b", "c;rm -rf /"],
    });
    expect(python.run).toMatchObject({ status: "OK", stdout: "A B C;RM -RF /\n" });

    const ts = await execute({
      language: "ts",
      files: [
        { path: "src/main.ts", content: 'import { add } from "./math";\nconsole.log(add(40, 2));' },
        { path: "src/math.ts", content: "export const add = (a: number, b: number): number => a + b;" },
      ],
    });
    expect(ts.run).toMatchObject({ status: "OK", stdout: "42\n" });

    const java = await execute({
      language: "java",
      files: [
        { path: "app/Main.java", content: "package app;\npublic class Main { public static void main(String[] a) { System.out.println(Util.twice(a[0])); } }" },
        { path: "app/Util.java", content: "package app;\nclass Util { static String twice(String s) { return s + s; } }" },
      ],
      args: ["ab"],
    });
    expect(java.run).toMatchObject({ status: "OK", stdout: "abab\n" });
  });

  it("decodes base64 files", async () => {
    const result = await execute({
      language: "bash",
      files: [{ path: "main.sh", content: Buffer.from("echo from-base64").toString("base64"), encoding: "base64" }],
    });
    expect(result.run!.stdout).toBe("from-base64\n");
  });

  it("leaves no cgroup behind", () => {
    expect(leakedCgroups()).toEqual([]);
  });
});

describe("execute request validation", () => {
  const hello = [{ path: "main.py", content: "print(1)" }];

  async function refusal(request: unknown): Promise<RequestError> {
    try {
      await execute(request);
    } catch (error) {
      expect(error).toBeInstanceOf(RequestError);
      return error as RequestError;
    }
    throw new Error("expected a RequestError");
  }

  it("refuses an unknown language", async () => {
    const error = await refusal({ language: "cobol", files: hello });
    expect(error).toMatchObject({ status: 400, code: "unknown_language", message: 'unknown language "cobol"' });
  });

  it("refuses a version the runner does not have", async () => {
    const error = await refusal({ language: "python", version: "2.7", files: hello });
    expect(error.code).toBe("unknown_language");
    expect(error.message).toMatch(/python 2\.7 is not available/);
  });

  it("refuses a path with ..", async () => {
    const error = await refusal({ language: "python", files: [{ path: "../escape.py", content: "print(1)" }] });
    expect(error).toMatchObject({ code: "invalid_request", message: 'files.0.path: file path "../escape.py" contains ".."' });
  });

  it("refuses an absolute path and duplicate paths", async () => {
    expect((await refusal({ language: "python", files: [{ path: "/etc/x.py", content: "" }] })).message).toMatch(/must be relative/);
    const duplicate = await refusal({
      language: "python",
      files: [
        { path: "a.py", content: "" },
        { path: "./a.py", content: "" },
      ],
    });
    expect(duplicate.message).toMatch(/appears twice/);
  });

  it("refuses too many files", async () => {
    const files = Array.from({ length: 65 }, (_, i) => ({ path: `f${i}.py`, content: "" }));
    expect((await refusal({ language: "python", files })).message).toBe("files: at most 64 files");
  });

  it("refuses no files", async () => {
    expect((await refusal({ language: "python", files: [] })).message).toMatch(/at least one file/);
  });

  it("refuses a file that is too large", async () => {
    const error = await refusal({ language: "python", files: [{ path: "main.py", content: "#".repeat(1024 * 1024 + 1) }] });
    expect(error.message).toMatch(/files\.0: "main\.py" is larger than 1048576 bytes/);
  });

  it("refuses limits above the maximum", async () => {
    const error = await refusal({ language: "python", files: hello, limits: { wallMs: MAX_LIMITS.wallMs + 1 } });
    expect(error.message).toBe(`limits.wallMs: limits.wallMs must be at most ${MAX_LIMITS.wallMs} (the server's maximum)`);
  });

  it("refuses malformed bodies and unknown fields", async () => {
    expect((await refusal(null)).code).toBe("invalid_request");
    expect((await refusal({ language: "python", files: "print(1)" })).message).toMatch(/^files:/);
    expect((await refusal({ language: "python", files: hello, network: true })).message).toMatch(/network/);
    expect((await refusal({ language: "python", files: hello, args: ["a\0b"] })).message).toMatch(/NUL/);
  });
});
