import { describe, expect, it } from "vitest";
import { capLogs, MAX_DEPLOYMENT_LOG_CHARS } from "@/lib/deploy/logs";
import { DeploymentPoller, TIMED_OUT_MESSAGE, type PollerClock, type PollSink } from "@/lib/deploy/poller";
import {
  DeployProviderError,
  type DeployProviderClient,
  type ProviderDeploymentState,
} from "@/lib/deploy/types";
import type { Deployment, DeploymentPatch } from "@/lib/store/types";

const TOKEN = "tok_secret_ABCDEFGH12345678";

/** A clock whose sleeps return at once and move time forward; records every wait. */
function fakeClock(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  let onSleep: ((ms: number) => void | Promise<void>) | undefined;
  const clock: PollerClock = {
    now: () => now,
    async sleep(ms, signal) {
      sleeps.push(ms);
      await onSleep?.(ms);
      if (!signal.aborted) now += ms;
    },
  };
  return {
    clock,
    sleeps,
    get now() {
      return now;
    },
    onSleep(fn: (ms: number) => void | Promise<void>) {
      onSleep = fn;
    },
  };
}

type Step = ProviderDeploymentState["status"] | Error;

/** A provider that answers `status` from a script (the last entry repeats). */
function scriptedClient(script: Step[], logs = "") {
  const calls = { status: 0, logs: 0, cancel: 0, tokens: new Set<string>() };
  let i = 0;
  const client: DeployProviderClient = {
    provider: "vercel",
    async create() {
      throw new Error("not used");
    },
    async status(token, providerId) {
      calls.status += 1;
      calls.tokens.add(token);
      const step = script[Math.min(i++, script.length - 1)];
      if (step instanceof Error) throw step;
      return { providerId, status: step, url: step === "success" ? "https://app.example.vercel.app" : null };
    },
    async logs(token) {
      calls.logs += 1;
      calls.tokens.add(token);
      return logs;
    },
    async cancel() {
      calls.cancel += 1;
    },
  };
  return { client, calls };
}

/** An in-memory sink recording every patch. */
function memorySink() {
  const patches: DeploymentPatch[] = [];
  let latest: Deployment | undefined;
  const sink: PollSink = {
    async update(d, patch) {
      patches.push(patch);
      latest = { ...d, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)), updatedAt: d.updatedAt + 1 };
      return latest;
    },
  };
  return {
    sink,
    patches,
    get latest() {
      return latest;
    },
  };
}

function deployment(createdAt: number, overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: "dep_1",
    projectId: "prj_1",
    userId: "usr_1",
    provider: "vercel",
    status: "building",
    url: null,
    providerId: "dpl_123",
    logs: "Uploading 2 files to Vercel…\n",
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  };
}

const transient = () => new DeployProviderError("vercel", "Vercel answered 503", { status: 503, retryable: true, code: "unavailable" });

describe("deployment poller", () => {
  it("backs off exponentially from 1 s up to the 30 s cap until a final state", async () => {
    const time = fakeClock();
    const { client } = scriptedClient([...Array<Step>(8).fill("building"), "success"]);
    const store = memorySink();
    const poller = new DeploymentPoller(store.sink, { clock: time.clock });

    expect(poller.start({ deployment: deployment(time.now), client, token: TOKEN })).toBe(true);
    await poller.waitForIdle();

    expect(time.sleeps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    expect(store.latest).toMatchObject({ status: "success", url: "https://app.example.vercel.app" });
    expect(store.latest!.logs).toContain("Deployed: https://app.example.vercel.app");
    expect(poller.isPolling("dep_1")).toBe(false);
  });

  it("keeps polling through transient provider errors, backing off", async () => {
    const time = fakeClock();
    const { client, calls } = scriptedClient([transient(), new TypeError("fetch failed"), transient(), "success"]);
    const store = memorySink();
    const poller = new DeploymentPoller(store.sink, { clock: time.clock, timings: { initialDelayMs: 100, maxDelayMs: 1_000 } });

    poller.start({ deployment: deployment(time.now), client, token: TOKEN });
    await poller.waitForIdle();

    expect(calls.status).toBe(4);
    expect(time.sleeps).toEqual([100, 200, 400, 800]);
    expect(store.latest?.status).toBe("success");
  });

  it("ends as failed on a non-retryable provider error, without the token in the logs", async () => {
    const time = fakeClock();
    const refused = new DeployProviderError("vercel", `token ${TOKEN} is invalid`, { status: 401, retryable: false, code: "unauthorized" });
    const { client, calls } = scriptedClient(["building", refused, "success"]);
    const store = memorySink();
    const poller = new DeploymentPoller(store.sink, { clock: time.clock });

    poller.start({ deployment: deployment(time.now), client, token: TOKEN });
    await poller.waitForIdle();

    expect(calls.status).toBe(2);
    expect(store.latest?.status).toBe("failed");
    expect(store.latest!.logs).toContain("Vercel refused the token (HTTP 401)");
    expect(store.latest!.logs).not.toContain(TOKEN);
  });

  it("on a failed build stores the provider's logs, capped and with the token redacted", async () => {
    const time = fakeClock();
    const buildLog = `npm ERR! build failed\nAuthorization: Bearer ${TOKEN}\n${"x".repeat(200_000)}\nlast line of the build`;
    const { client, calls } = scriptedClient(["failed"], buildLog);
    const store = memorySink();
    const poller = new DeploymentPoller(store.sink, { clock: time.clock });

    poller.start({ deployment: deployment(time.now), client, token: TOKEN });
    await poller.waitForIdle();

    expect(calls.logs).toBe(1);
    const logs = store.latest!.logs;
    expect(store.latest?.status).toBe("failed");
    expect(logs).toContain("Vercel reports the deployment failed");
    expect(logs).toContain("last line of the build");
    expect(logs).not.toContain(TOKEN);
    expect(logs.length).toBeLessThanOrEqual(MAX_DEPLOYMENT_LOG_CHARS);
  });

  it("fails with 'timed out' once the overall deadline passes, and cancels at the provider", async () => {
    const time = fakeClock();
    const { client, calls } = scriptedClient(["building"]);
    const store = memorySink();
    const poller = new DeploymentPoller(store.sink, {
      clock: time.clock,
      timings: { initialDelayMs: 1_000, maxDelayMs: 30_000, deadlineMs: 60_000 },
    });
    // Created 10 s ago: 50 s are left.
    poller.start({ deployment: deployment(time.now - 10_000), client, token: TOKEN });
    await poller.waitForIdle();

    expect(time.sleeps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 19_000]);
    expect(calls.status).toBe(5);
    expect(store.latest?.status).toBe("failed");
    expect(store.latest!.logs).toContain(TIMED_OUT_MESSAGE);
    expect(calls.cancel).toBe(1);
  });

  it("runs one poller per deployment", async () => {
    const time = fakeClock();
    const { client, calls } = scriptedClient(["building", "success"]);
    const store = memorySink();
    const poller = new DeploymentPoller(store.sink, { clock: time.clock });
    const d = deployment(time.now);

    expect(poller.start({ deployment: d, client, token: TOKEN })).toBe(true);
    expect(poller.start({ deployment: d, client, token: TOKEN })).toBe(false);
    expect(poller.isPolling(d.id)).toBe(true);
    await poller.waitForIdle();

    expect(calls.status).toBe(2);
    expect(store.patches.filter((p) => p.status === "success")).toHaveLength(1);
    expect(poller.start({ deployment: { ...d, status: "success" }, client, token: TOKEN })).toBe(false);
    expect(poller.start({ deployment: { ...d, id: "dep_2", providerId: null }, client, token: TOKEN })).toBe(false);
  });

  it("stops when stopped (cancel) and writes nothing afterwards", async () => {
    const time = fakeClock();
    const { client, calls } = scriptedClient(["building"]);
    const store = memorySink();
    const poller = new DeploymentPoller(store.sink, { clock: time.clock });
    const d = deployment(time.now);
    let stopped: Promise<void> | undefined;
    time.onSleep(() => {
      if (time.sleeps.length === 3) stopped = poller.stop(d.id);
    });

    poller.start({ deployment: d, client, token: TOKEN });
    await poller.waitForIdle();
    await stopped;

    expect(poller.isPolling(d.id)).toBe(false);
    expect(calls.status).toBe(2);
    expect(store.patches.every((p) => p.status !== "failed" && p.status !== "success")).toBe(true);
  });

  it("records building once when the provider moves from pending", async () => {
    const time = fakeClock();
    const { client } = scriptedClient(["pending", "building", "building", "success"]);
    const store = memorySink();
    const poller = new DeploymentPoller(store.sink, { clock: time.clock });

    poller.start({ deployment: deployment(time.now, { status: "pending" }), client, token: TOKEN });
    await poller.waitForIdle();

    expect(store.patches.map((p) => p.status)).toEqual(["building", "success"]);
    expect(store.latest!.logs.match(/Building on Vercel/g)).toHaveLength(1);
  });
});

describe("deployment logs", () => {
  it("keeps the tail, starting at a line, within the cap", () => {
    const text = Array.from({ length: 5_000 }, (_, i) => `line ${i}`).join("\n");
    const capped = capLogs(text, 1_000);
    expect(capped.length).toBeLessThanOrEqual(1_000);
    expect(capped.endsWith("line 4999")).toBe(true);
    expect(capped.split("\n")[1]).toMatch(/^line \d+$/);
    expect(capLogs("short")).toBe("short");
  });
});
