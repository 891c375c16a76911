/**
 * Benchmark of execute() (not a test): end-to-end latency beside the bare interpreter on the host,
 * and throughput with concurrent clients. Run as root: `npm run bench`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execute, type ExecuteResult } from "../src/execute.js";
import { findRuntime } from "../src/runtimes.js";
import { leakedCgroups } from "../src/sandbox/cgroup.js";
import { closeWarmPools } from "../src/sandbox/warm-pool.js";

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const THROUGHPUT_RUNS = Number(process.env.BENCH_RUNS ?? 160);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

function spawnBare(argv: string[], cwd: string): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: "/usr/bin:/bin" },
    });
    child.stdout.resume();
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(performance.now() - start)
        : reject(new Error(`exit ${code}`)),
    );
  });
}

async function timeExecute(
  request: object,
): Promise<{ ms: number; result: ExecuteResult }> {
  const start = performance.now();
  const result = await execute(request);
  return { ms: performance.now() - start, result };
}

function ok(result: ExecuteResult): boolean {
  return result.run?.status === "OK" && result.run.stdout === "1\n";
}

async function latency(
  language: string,
  file: string,
  content: string,
  goal: number,
): Promise<void> {
  const runtime = (await findRuntime(language))!;
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-bare-"));
  writeFileSync(path.join(dir, file), content);
  const argv = runtime.run({
    entry: file,
    entryContent: content,
    files: [file],
    args: [],
    limits: {} as never,
  }).argv;
  const request = { language, files: [{ path: file, content }] };
  for (let i = 0; i < 5; i++) {
    await spawnBare(argv, dir);
    await timeExecute(request);
  }
  const bare: number[] = [];
  const sandboxed: number[] = [];
  let errors = 0;
  for (let i = 0; i < SAMPLES; i++) {
    bare.push(await spawnBare(argv, dir));
    const { ms, result } = await timeExecute(request);
    sandboxed.push(ms);
    if (!ok(result)) errors++;
  }
  rmSync(dir, { recursive: true, force: true });
  const ratio = percentile(sandboxed, 50) / percentile(bare, 50);
  console.log(
    `${language.padEnd(10)} bare (${argv.join(" ")}): median ${percentile(bare, 50).toFixed(1)} ms, p95 ${percentile(bare, 95).toFixed(1)} ms`,
  );
  console.log(
    `${" ".repeat(10)} execute(): median ${percentile(sandboxed, 50).toFixed(1)} ms, p95 ${percentile(sandboxed, 95).toFixed(1)} ms` +
      ` — ratio ${ratio.toFixed(2)}× (goal ≤ ${goal}×: ${ratio <= goal ? "met" : "NOT met"}), errors ${errors}/${SAMPLES}`,
  );
}

async function throughput(concurrency: number, request: object): Promise<void> {
  let next = 0;
  let errors = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < THROUGHPUT_RUNS) {
      next++;
      const { result } = await timeExecute(request);
      if (!ok(result)) errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  const rate = THROUGHPUT_RUNS / seconds;
  const goal =
    concurrency === 8
      ? ` (goal ≥ 40/s: ${rate >= 40 && errors === 0 ? "met" : "NOT met"})`
      : "";
  console.log(
    `  ${String(concurrency).padStart(2)} clients: ${rate.toFixed(1)} executions/s over ${THROUGHPUT_RUNS} runs, errors ${errors}${goal}`,
  );
}

async function main(): Promise<void> {
  console.log(
    `execute() benchmark — ${os.cpus().length} cores, ${SAMPLES} samples per latency figure, ` +
      `warm launchers: ${process.env.RUNNER_WARM_SANDBOXES ?? "2 (default)"}, load average ${os.loadavg()[0].toFixed(2)}`,
  );
  await latency("python", "main.py", "print(1)", 1.6);
  await latency("javascript", "main.js", "console.log(1)", 1.5);
  // BENCH_RUNS=0: latency only.
  for (const [language, file, content] of THROUGHPUT_RUNS <= 0
    ? []
    : ([
        ["python", "main.py", "print(1)"],
        ["javascript", "main.js", "console.log(1)"],
      ] as const)) {
    console.log(`throughput, ${language} hello:`);
    for (const concurrency of [2, 8, 32])
      await throughput(concurrency, {
        language,
        files: [{ path: file, content }],
      });
  }
  await closeWarmPools();
  const leaked = leakedCgroups();
  console.log(
    `leaked cgroups: ${leaked.length === 0 ? "none" : leaked.join(", ")}`,
  );
  if (leaked.length > 0) process.exitCode = 1;
}

await main();
