import { spawn, execFile } from "node:child_process";
import http from "node:http";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, generateText, streamText } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { applyEdit } from "@/lib/ai/edits";
import { parsePlan } from "@/lib/ai/plan";
import { parseProtocol } from "@/lib/ai/protocol";
import { runSecurityChecks } from "@/lib/ai/runs/audit-rules";
import type { ProtocolEvent } from "@/lib/ai/types";
import { roleLine, splitIntoTokens, startLlmServer, type LlmServer, type LlmServerOptions } from "@/tests/fixtures/llm-server";
import todoApp, { FIXER_REPLACE, FIXER_SEARCH, PLAN, TODO_APP_FILES, TRANSCRIPTS } from "@/tests/fixtures/llm-server/scripts/todo-app";

const servers: LlmServer[] = [];

async function start(options: LlmServerOptions = {}): Promise<LlmServer> {
  const server = await startLlmServer(options);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function modelFor(server: LlmServer, apiKey = "test-key-1234") {
  return createOpenAICompatible({ baseURL: server.url, name: "joxcoder", apiKey, includeUsage: true }).chatModel("joxcoder-test");
}

/** Streams one call through the AI SDK and returns what it saw, errors included. */
async function streamCall(server: LlmServer, role: string, prompt = "Build it.") {
  const result = streamText({ model: modelFor(server), system: `${roleLine(role)}\nYou write code.`, prompt, maxRetries: 0, onError: () => {} });
  let text = "";
  const errors: unknown[] = [];
  try {
    for await (const part of result.fullStream) {
      if (part.type === "text-delta") text += part.text;
      if (part.type === "error") errors.push(part.error);
    }
  } catch (error) {
    errors.push(error);
  }
  const usage = await Promise.resolve(result.usage).catch(() => null);
  return { text, errors, usage };
}

/** A raw SSE request that reports each `data:` line as it arrives; resolves when the connection ends either way. */
function rawStream(server: LlmServer, onData: (line: string, count: number) => void = () => {}) {
  return new Promise<{ status: number | null; lines: string[]; ended: "end" | "error" }>((resolve) => {
    const lines: string[] = [];
    let status: number | null = null;
    let pending = "";
    const request = http.request(`${server.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } }, (response) => {
      status = response.statusCode ?? null;
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf("\n\n")) !== -1) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 2);
          lines.push(line);
          onData(line, lines.length);
        }
      });
      response.on("end", () => resolve({ status, lines, ended: "end" }));
      response.on("error", () => resolve({ status, lines, ended: "error" }));
    });
    request.on("error", () => resolve({ status, lines, ended: "error" }));
    request.end(JSON.stringify({ model: "m", stream: true, messages: [{ role: "system", content: roleLine("backend") }] }));
  });
}

async function untilRecorded(server: LlmServer, count: number): Promise<void> {
  while (server.requests.length < count) await new Promise((resolve) => setImmediate(resolve));
}

describe("llm-server through the AI SDK", () => {
  it("streams the role's transcript and reports deterministic usage", async () => {
    const server = await start({ script: { roles: { backend: "<file path=\"a.ts\">export const a = 1;</file> done" } } });
    const system = `${roleLine("backend")}\nYou write code.`;
    const { text, errors, usage } = await streamCall(server, "backend", "Build it.");
    const transcript = '<file path="a.ts">export const a = 1;</file> done';
    expect(errors).toEqual([]);
    expect(text).toBe(transcript);
    expect(usage?.inputTokens).toBe(Math.ceil((system.length + "Build it.".length) / 4));
    expect(usage?.outputTokens).toBe(Math.ceil(transcript.length / 4));
    expect(usage?.outputTokens).toBe(splitIntoTokens(transcript).length);

    const [request] = server.requests;
    expect(request.path).toBe("/v1/chat/completions");
    expect(request.role).toBe("backend");
    expect(request.chatRequest).toBe(1);
    expect(request.headers.authorization).toBe("Bearer ****1234");
    expect(JSON.stringify(request)).not.toContain("test-key-1234");
    expect(request.body).toMatchObject({ model: "joxcoder-test", stream: true, stream_options: { include_usage: true } });
  });

  it("answers non-streaming requests with usage", async () => {
    const server = await start({ script: { queue: ["plain answer"] } });
    const result = await generateText({ model: modelFor(server), prompt: "12345678", maxRetries: 0 });
    expect(result.text).toBe("plain answer");
    expect(result.usage.inputTokens).toBe(2);
    expect(result.usage.outputTokens).toBe(3);
  });

  it("still delivers the whole transcript at a fixed token rate", async () => {
    const server = await start({ script: { fallback: "paced text, eight tokens long!!!" }, tokensPerSecond: 2000 });
    const { text, usage } = await streamCall(server, "tester");
    expect(text).toBe("paced text, eight tokens long!!!");
    expect(usage?.outputTokens).toBe(8);
  });

  it("counts tokens in code points, so emoji are never split", async () => {
    const server = await start({ script: { fallback: "😀😀😀😀😀" } });
    const { text, usage } = await streamCall(server, "x");
    expect(text).toBe("😀😀😀😀😀");
    expect(usage?.outputTokens).toBe(2);
  });
});

describe("llm-server script selection", () => {
  it("picks by role, walks arrays of answers, then the queue, then the fallback", async () => {
    const server = await start({ script: { roles: { fixer: ["first fix", "second fix"] }, queue: ["q1", "q2"], fallback: "fb" } });
    const answers = [];
    for (const role of ["fixer", "fixer", "fixer", "architect", "architect", "architect"]) answers.push((await streamCall(server, role)).text);
    expect(answers).toEqual(["first fix", "second fix", "second fix", "q1", "q2", "fb"]);
    expect(server.requests.map((r) => r.chatRequest)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("answers 500 with an explanation when nothing is scripted", async () => {
    const server = await start({ script: { roles: { backend: "x" } } });
    const { errors } = await streamCall(server, "frontend");
    expect(errors).toHaveLength(1);
    expect(APICallError.isInstance(errors[0]) && errors[0].statusCode).toBe(500);
    expect(String((errors[0] as Error).message)).toContain('no scripted answer for role "frontend"');
  });

  it("setScript and reset start over", async () => {
    const server = await start({ script: { queue: ["a"] } });
    expect((await streamCall(server, "x")).text).toBe("a");
    server.setScript({ queue: ["b"] });
    expect((await streamCall(server, "x")).text).toBe("b");
    server.reset();
    expect(server.requests).toEqual([]);
    expect((await streamCall(server, "x")).text).toBe("b");
    expect(server.requests[0].chatRequest).toBe(1);
  });

  it("lists models and refuses a wrong API key when one is required", async () => {
    const server = await start({ models: ["joxcoder-7b"], apiKey: "right-key", script: { fallback: "ok" } });
    const models = await fetch(`${server.url}/models`).then((r) => r.json());
    expect(models).toEqual({ object: "list", data: [{ id: "joxcoder-7b", object: "model", created: 0, owned_by: "llm-server-fixture" }] });
    const wrong = await generateText({ model: modelFor(server, "wrong-key"), prompt: "p", maxRetries: 0 }).catch((e: unknown) => e);
    expect(APICallError.isInstance(wrong) && wrong.statusCode).toBe(401);
    const right = await generateText({ model: modelFor(server, "right-key"), prompt: "p", maxRetries: 0 });
    expect(right.text).toBe("ok");
  });
});

describe("llm-server faults", () => {
  it("status: fails the chosen request once without using up its transcript", async () => {
    const server = await start({ script: { queue: ["only answer"] }, faults: [{ request: 1, fault: { kind: "status", status: 500 } }] });
    const first = await streamCall(server, "backend");
    expect(first.text).toBe("");
    expect(APICallError.isInstance(first.errors[0]) && first.errors[0].statusCode).toBe(500);
    const second = await streamCall(server, "backend");
    expect(second).toMatchObject({ text: "only answer", errors: [] });
  });

  it("status: 429 carries Retry-After and an OpenAI-style error body", async () => {
    const server = await start({ script: { fallback: "x" }, faults: [{ fault: { kind: "status", status: 429, retryAfterSeconds: 7, message: "Slow down." } }] });
    const response = await fetch(`${server.url}/chat/completions`, { method: "POST", body: JSON.stringify({ messages: [] }) });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(await response.json()).toEqual({ error: { message: "Slow down.", type: "rate_limit_error", code: 429 } });
  });

  it("faults scoped to a role hit only that role, as many times as asked", async () => {
    const server = await start({
      script: { roles: { tester: "t", backend: "b" } },
      faults: [{ role: "tester", times: "always", fault: { kind: "status", status: 503 } }],
    });
    expect((await streamCall(server, "backend")).text).toBe("b");
    for (let i = 0; i < 3; i++) expect((await streamCall(server, "tester")).errors).toHaveLength(1);
  });

  it("hang: accepts the request and never sends a byte", async () => {
    const server = await start({ script: { fallback: "never sent" }, faults: [{ fault: { kind: "hang" } }] });
    let responded = false;
    const outcome = new Promise<string>((resolve) => {
      const request = http.request(`${server.url}/chat/completions`, { method: "POST" }, () => {
        responded = true;
        resolve("response");
      });
      request.on("error", (error) => resolve(error.message));
      request.end(JSON.stringify({ stream: true, messages: [] }));
    });
    await untilRecorded(server, 1);
    await server.close();
    expect(await outcome).toBe("socket hang up");
    expect(responded).toBe(false);
  });

  it("hang after N chunks: streams them, then stalls without finishing", async () => {
    const server = await start({ script: { fallback: "abcdefghijklmnopqrstuvwxyz" }, faults: [{ fault: { kind: "hang", afterChunks: 2 } }] });
    const result = rawStream(server, (_line, count) => {
      if (count === 2) void server.close();
    });
    const { status, lines } = await result;
    expect(status).toBe(200);
    expect(lines.map((line) => JSON.parse(line.slice("data: ".length)).choices[0].delta.content)).toEqual(["abcd", "efgh"]);
  });

  it("cut: closes the socket after N chunks, with no finish, usage or [DONE]", async () => {
    const transcript = '<file path="a.ts">export const a = 1;</file>';
    const server = await start({ script: { fallback: transcript }, faults: [{ fault: { kind: "cut", afterChunks: 3 } }] });
    const raw = await rawStream(server);
    expect(raw.ended).toBe("error");
    expect(raw.lines).toHaveLength(3);
    expect(raw.lines.join("")).not.toContain("[DONE]");

    server.setFault({ fault: { kind: "cut", afterChunks: 3 } });
    const viaSdk = await streamCall(server, "backend");
    expect(viaSdk.text).toBe('<file path="');
    expect(viaSdk.errors).toHaveLength(1);
    expect(viaSdk.usage).toBeNull();
  });

  it("malformed: sends a data line of invalid JSON after N chunks", async () => {
    const server = await start({ script: { fallback: "abcdefghijkl" }, faults: [{ fault: { kind: "malformed", afterChunks: 1 } }] });
    const raw = await rawStream(server);
    expect(raw.ended).toBe("end");
    expect(raw.lines).toHaveLength(2);
    expect(() => JSON.parse(raw.lines[1].slice("data: ".length))).toThrow(SyntaxError);

    server.setFault({ fault: { kind: "malformed" } });
    const viaSdk = await streamCall(server, "backend");
    expect(viaSdk.text).toBe("");
    expect(String(viaSdk.errors[0])).toContain("JSON parsing failed");
  });
});

describe("todo-app script", () => {
  const events = (role: keyof typeof TRANSCRIPTS): ProtocolEvent[] => parseProtocol(TRANSCRIPTS[role]);
  const writtenFiles = (role: keyof typeof TRANSCRIPTS) =>
    Object.fromEntries(events(role).flatMap((e) => (e.type === "file" ? [[e.path, e.content]] : [])));

  it("has an architect plan that lib/ai/plan.ts accepts", () => {
    const parsed = parsePlan(TRANSCRIPTS.architect);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.plan.files.map((f) => f.path).sort()).toEqual(Object.keys(TODO_APP_FILES).sort());
    expect(PLAN.files.length).toBe(Object.keys(TODO_APP_FILES).length);
  });

  it("writes every planned file through the protocol, with no protocol errors", () => {
    const all = ["backend", "frontend", "devops", "security", "tester", "fixer"] as const;
    for (const role of all) expect(events(role).filter((e) => e.type === "error")).toEqual([]);
    expect({ ...writtenFiles("backend"), ...writtenFiles("frontend"), ...writtenFiles("devops") }).toEqual(TODO_APP_FILES);
    expect(events("tester").filter((e) => e.type === "command")).toEqual([{ type: "command", command: "npm test" }]);
    expect(events("fixer").filter((e) => e.type === "edit")).toEqual([
      { type: "edit", path: "todos.js", search: FIXER_SEARCH, replace: FIXER_REPLACE },
    ]);
    expect(applyEdit(TODO_APP_FILES["todos.js"], FIXER_SEARCH, FIXER_REPLACE).ok).toBe(true);
  });

  it("is served by role to the AI SDK", async () => {
    const server = await start({ script: todoApp });
    expect((await streamCall(server, "devops")).text).toBe(TRANSCRIPTS.devops);
    expect((await streamCall(server, "architect")).text).toBe(TRANSCRIPTS.architect);
  });

  it("produces a project whose npm test really passes, before and after the fixer's edit", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "todo-app-"));
    try {
      for (const [file, content] of Object.entries(TODO_APP_FILES)) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(path.join(dir, file), content);
      }
      const run = promisify(execFile);
      const before = await run(process.execPath, ["--test"], { cwd: dir });
      expect(before.stdout).toMatch(/# pass 3\b/);
      const fixed = applyEdit(TODO_APP_FILES["todos.js"], FIXER_SEARCH, FIXER_REPLACE);
      if (!fixed.ok) throw new Error(fixed.message);
      await writeFile(path.join(dir, "todos.js"), fixed.content);
      const after = await run(process.execPath, ["--test"], { cwd: dir });
      expect(after.stdout).toMatch(/# fail 0\b/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("passes the deterministic security checks", () => {
    const files = Object.entries(TODO_APP_FILES).map(([p, content]) => ({ path: p, content }));
    expect(runSecurityChecks(files)).toEqual([]);
  });
});

describe("llm-server CLI", () => {
  it("serves a named script on the given port and can be driven through /__control", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "tests/fixtures/llm-server/main.ts", "--port", "0", "--script", "todo-app"], {
      cwd: path.resolve(__dirname, "../.."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (\S+)/.exec(out);
          if (match) resolve(match[1]);
        });
        child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
        child.on("exit", (code) => reject(new Error(`CLI exited with ${code}: ${err}`)));
      });
      const body = (role: string) => JSON.stringify({ model: "m", messages: [{ role: "system", content: roleLine(role) }] });
      const answer = await fetch(`${url}/chat/completions`, { method: "POST", body: body("tester") }).then((r) => r.json());
      expect(answer.choices[0].message.content).toBe(TRANSCRIPTS.tester);

      const origin = new URL(url).origin;
      await fetch(`${origin}/__control/faults`, { method: "PUT", body: JSON.stringify([{ fault: { kind: "status", status: 502 } }]) });
      expect((await fetch(`${url}/chat/completions`, { method: "POST", body: body("tester") })).status).toBe(502);
      const recorded = await fetch(`${origin}/__control/requests`).then((r) => r.json());
      expect(recorded.map((r: { role: string; chatRequest: number }) => [r.role, r.chatRequest])).toEqual([
        ["tester", 1],
        ["tester", 2],
      ]);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
