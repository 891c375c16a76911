/**
 * Terminal benchmark: keystroke echo latency over loopback (goal: median < 10 ms) and the
 * runner's RSS growth while it streams 20 MB to a slowly acking client (goal: < 64 MB over idle).
 * The runner runs as its own process (src/main.ts), so its RSS is measured alone.
 *
 *   node --import tsx bench/pty.ts
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { issueTicket, signRequest } from "../src/auth/signing";
import { decodeFrame, encodeAck, encodeData } from "../src/pty/protocol";

const ECHO_SAMPLES = 300;
const STREAM_SOURCE_BYTES = 15 * 1024 * 1024; // base64 → 20 MiB of terminal output
const ACK_INTERVAL_MS = 20;

const secret = randomBytes(32).toString("hex");
const stateDir = path.join(os.tmpdir(), `autocrea-runner-bench-${process.pid}`);
const runner = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
  cwd: path.resolve(import.meta.dirname, ".."),
  env: {
    PATH: process.env.PATH,
    PORT: "0",
    RUNNER_SECRET: secret,
    RUNNER_STATE_DIR: stateDir,
  },
  stdio: ["ignore", "ignore", "pipe"],
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    runner.kill("SIGTERM");
    process.exit(1);
  });
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) * 1024 : 0;
}

const url = await new Promise<string>((resolve, reject) => {
  let log = "";
  runner.stderr!.on("data", (chunk: Buffer) => {
    log += chunk.toString();
    const match = /listening on (http:\/\/\S+)/.exec(log);
    if (match) resolve(match[1]!);
  });
  runner.once("exit", (code) => reject(new Error(`runner exited (${code}): ${log}`)));
});

async function call(method: string, pathname: string, body?: unknown): Promise<any> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const response = await fetch(url + pathname, {
    method,
    body: text,
    headers: { ...signRequest({ secret, method, pathWithQuery: pathname, body: text }), "content-type": "application/json" },
  });
  const result = await response.text();
  if (!response.ok) throw new Error(`${method} ${pathname}: ${response.status} ${result}`);
  return result ? JSON.parse(result) : undefined;
}

type Listener = (data: Buffer) => void;

async function openTerminal(sessionId: string, onData: Listener): Promise<WebSocket> {
  const ticket = issueTicket(secret, { sessionId, userId: "bench" });
  const socket = new WebSocket(`${url.replace("http", "ws")}/v1/sessions/${sessionId}/pty?ticket=${ticket}`);
  socket.on("message", (message: Buffer) => {
    const frame = decodeFrame(message);
    if (frame?.type === "data") onData(Buffer.from(frame.data));
  });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return socket;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

try {
  const { id } = await call("POST", "/v1/sessions", { userId: "bench" });

  // 1. Keystroke echo: type one character, time until the PTY echoes it back; erase it again.
  let pending: { expect: string; resolve: () => void } | null = null;
  let seen = "";
  const echoSocket = await openTerminal(id, (data) => {
    echoSocket.send(encodeAck(data.length));
    seen += data.toString("latin1");
    if (pending && seen.includes(pending.expect)) {
      const done = pending;
      pending = null;
      done.resolve();
    }
  });
  const waitFor = (text: string) =>
    new Promise<void>((resolve) => {
      pending = { expect: text, resolve };
      if (seen.includes(text)) {
        pending = null;
        resolve();
      }
    });
  await waitFor("$ ");
  const latencies: number[] = [];
  for (let i = 0; i < ECHO_SAMPLES; i++) {
    seen = "";
    const start = process.hrtime.bigint();
    echoSocket.send(encodeData("k"));
    await waitFor("k");
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    seen = "";
    echoSocket.send(encodeData("\x7f"));
    await waitFor("\b"); // readline erases with a backspace and then a clear-to-end or a space
  }
  echoSocket.close();
  await new Promise((resolve) => setTimeout(resolve, 200));

  // 2. Memory while streaming 20 MB to a client that acknowledges only every 20 ms.
  const made = await call("POST", `/v1/sessions/${id}/commands`, {
    command: `head -c ${STREAM_SOURCE_BYTES} /dev/urandom | base64 -w0 > big.txt`,
    limits: { wallMs: 60_000, cpuMs: 30_000, fileSizeBytes: 64 * 1024 * 1024 },
  });
  if (made.status !== "OK") throw new Error(`could not make the test file: ${JSON.stringify(made)}`);
  const expectedBytes = (STREAM_SOURCE_BYTES / 3) * 4;

  global.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idleRss = rssBytes(runner.pid!);
  let peakRss = idleRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssBytes(runner.pid!));
  }, 25);

  let received = 0;
  let acked = 0;
  let tail = "";
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const streamSocket = await openTerminal(id, (data) => {
    received += data.length;
    tail = (tail + data.toString("latin1")).slice(-16);
    if (tail.includes("<END")) finished();
  });
  const acker = setInterval(() => {
    if (received > acked) {
      streamSocket.send(encodeAck(received - acked));
      acked = received;
    }
  }, ACK_INTERVAL_MS);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = process.hrtime.bigint();
  streamSocket.send(encodeData(`printf '%s' "BE""GIN>"; cat big.txt; printf '%s' "<EN""D"\r`));
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(acker);
  clearInterval(sampler);
  streamSocket.close();

  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  console.log(`keystroke echo over loopback (${ECHO_SAMPLES} samples): median ${median(latencies).toFixed(2)} ms, ` +
    `p95 ${[...latencies].sort((a, b) => a - b)[Math.floor(latencies.length * 0.95)]!.toFixed(2)} ms (goal: median < 10 ms)`);
  console.log(`streamed ${mb(received)} MiB (${mb(expectedBytes)} MiB payload) to a client acking every ${ACK_INTERVAL_MS} ms ` +
    `in ${seconds.toFixed(1)} s (${(received / 1024 / 1024 / seconds).toFixed(1)} MiB/s)`);
  console.log(`runner RSS: idle ${mb(idleRss)} MiB, peak while streaming ${mb(peakRss)} MiB, ` +
    `growth ${mb(peakRss - idleRss)} MiB (goal: < 64 MiB)`);
  await call("DELETE", `/v1/sessions/${id}`);
} finally {
  runner.kill("SIGTERM");
  await new Promise((resolve) => runner.once("exit", resolve));
  rmSync(stateDir, { recursive: true, force: true });
}
