import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "@/lib/store/sqlite";
import { MIGRATIONS, applyMigrations } from "@/lib/store/sqlite/migrations";
import { describeStoreContract } from "./store.contract";

const dir = mkdtempSync(path.join(tmpdir(), "autocrea-sqlite-"));
let fileCount = 0;
const freshFile = () => path.join(dir, `store-${++fileCount}`, "autocrea.db");

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreContract("sqlite", async () => {
  const store = await createSqliteStore(freshFile());
  return { store, close: () => store.close() };
});

describe("SQLite store on disk", () => {
  it("creates the parent directory and uses WAL, foreign keys and the latest schema", async () => {
    const file = freshFile();
    const store = await createSqliteStore(file);
    await store.close();

    const db = new Database(file, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it("reopening a file keeps the data and applies no migration again", async () => {
    const file = freshFile();
    const first = await createSqliteStore(file);
    const { user } = await first.ensureUser({ externalId: "user_keep", email: "keep@example.com" });
    const project = await first.createProject(user.id, { name: "Kept" });
    await first.saveFiles(user.id, project.id, { files: [{ path: "a.txt", content: "hello" }], message: "v1" });
    await first.close();

    const db = new Database(file);
    expect(applyMigrations(db)).toBe(0);
    db.close();

    const second = await createSqliteStore(file);
    expect((await second.getUserByEmail("keep@example.com"))?.tokenBalance).toBe(100);
    expect((await second.getFile(user.id, project.id, "a.txt"))?.content).toBe("hello");
    expect((await second.ensureUser({ externalId: "user_keep", email: "keep@example.com" })).created).toBe(false);
    await second.close();
  });

  it("deleting a project leaves none of its rows, and no blob that only its versions used", async () => {
    const file = freshFile();
    const store = await createSqliteStore(file);
    const { user } = await store.ensureUser({ externalId: "user_del", email: "del@example.com" });
    const doomed = await store.createProject(user.id, { name: "Doomed" });
    const kept = await store.createProject(user.id, { name: "Kept" });
    await store.saveFiles(user.id, doomed.id, { files: [{ path: "shared.txt", content: "shared" }, { path: "mine.txt", content: "only doomed" }], message: "v1" });
    await store.saveFiles(user.id, doomed.id, { files: [{ path: "mine.txt", content: "only doomed, v2" }], message: "v2" });
    await store.saveFiles(user.id, kept.id, { files: [{ path: "copy.txt", content: "shared" }], message: "k1" });
    const reserved = await store.reserveCredits(user.id, 2, "del-run");
    if (!reserved.ok) throw new Error("reservation refused");
    const run = await store.createRun(user.id, { projectId: doomed.id, reservationId: reserved.reservation.id, cap: 2, estimate: 2 });
    await store.appendRunEvent(user.id, run.id, { type: "log", level: "info", message: "x" });
    await store.startGenerationStep(user.id, { projectId: doomed.id, runId: run.id, role: "architect" });
    await store.settleReservation(reserved.reservation.id);
    await store.finishRun(user.id, run.id, { status: "failed", error: "x" });
    await store.createDeployment(user.id, doomed.id, "railway");

    await store.deleteProject(user.id, doomed.id);
    await store.close();

    const db = new Database(file, { readonly: true });
    const count = (sql: string, ...args: unknown[]) => db.prepare(sql).pluck().get(...args) as number;
    for (const table of ["files", "versions", "runs", "generation_steps", "deployments", "ai_requests"]) {
      expect(count(`SELECT count(*) FROM ${table} WHERE project_id = ?`, doomed.id), table).toBe(0);
    }
    expect(count("SELECT count(*) FROM projects WHERE id = ?", doomed.id)).toBe(0);
    expect(count("SELECT count(*) FROM run_events WHERE run_id = ?", run.id)).toBe(0);
    expect(db.prepare("SELECT content FROM blobs ORDER BY content").pluck().all()).toEqual(["shared"]);
    expect(db.prepare("SELECT project_id, project_name, provider FROM deployments").all()).toEqual([
      { project_id: null, project_name: "Doomed", provider: "railway" },
    ]);
    expect(db.pragma("foreign_key_check")).toEqual([]);
    db.close();
  });

  it("refuses a database written by a newer schema", async () => {
    const file = freshFile();
    await (await createSqliteStore(file)).close();
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    await expect(createSqliteStore(file)).rejects.toThrow(/newer than this build/);
  });

  it("four processes reserving on the same file at once never overdraw", async () => {
    const file = freshFile();
    const setup = await createSqliteStore(file);
    const { user } = await setup.ensureUser({ externalId: "user_race", email: "race@example.com" });
    await setup.close();

    const amount = 3;
    const children = Array.from({ length: 4 }, (_, i) =>
      fork(fileURLToPath(new URL("./sqlite-reserve-worker.ts", import.meta.url)), [file, user.id, String(amount), "25", `p${i}`], {
        execArgv: ["--import", "tsx"],
      }),
    );
    const nextMessage = (child: ChildProcess) =>
      new Promise<unknown>((resolve, reject) => {
        child.once("message", resolve);
        child.once("error", reject);
        child.once("exit", (code) => reject(new Error(`reserving process exited with ${code}`)));
      });
    try {
      await Promise.all(children.map(nextMessage));
      const results = children.map((child) => nextMessage(child) as Promise<{ succeeded: number }>);
      for (const child of children) child.send("go");
      const succeeded = (await Promise.all(results)).map((r) => r.succeeded);

      expect(succeeded.reduce((a, b) => a + b, 0)).toBe(Math.floor(100 / amount));
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
    }
    const check = await createSqliteStore(file);
    expect(await check.getBalance(user.id)).toBe(100 % amount);
    const ledger = await check.listLedger(user.id, 1000);
    expect(ledger.reduce((sum, e) => sum + e.delta, 0)).toBe(100 % amount);
    await check.close();
  });
});
