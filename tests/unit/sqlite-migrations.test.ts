import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "@/lib/store/sqlite";
import { MIGRATIONS, applyMigrations } from "@/lib/store/sqlite/migrations";

/** The schema version before plans were renamed ('pro' meant Creator, 'team' meant Pro). */
const BEFORE_PLAN_RENAME = 3;

const dir = mkdtempSync(path.join(tmpdir(), "autocrea-migrations-"));
let fileCount = 0;
const freshFile = () => path.join(dir, `db-${++fileCount}.db`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A database built by an older build: only the first `version` migrations, applied as that build did. */
function databaseAt(file: string, version: number): Database.Database {
  const db = new Database(file);
  db.pragma("foreign_keys = ON");
  for (const m of MIGRATIONS.slice(0, version)) db.exec(typeof m === "string" ? m : m.sql);
  db.pragma(`user_version = ${version}`);
  return db;
}

/** Three users ('team', 'pro', 'free' under the old names), each with rows in the tables that reference users. */
function seed(db: Database.Database) {
  const now = 1_700_000_000_000;
  const users = [
    { id: "u_team", plan: "team" },
    { id: "u_pro", plan: "pro" },
    { id: "u_free", plan: "free" },
  ];
  for (const [i, u] of users.entries()) {
    db.prepare(
      "INSERT INTO users (id, external_id, email, name, plan, token_balance, created_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(u.id, `ext_${u.id}`, `${u.id}@example.com`, u.id, u.plan, 150, now, i === 2 ? now + 1 : null);
    db.prepare("INSERT INTO ledger (id, user_id, delta, reason, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
      `l1_${u.id}`, u.id, 100, "trial", `trial:${u.id}`, now,
    );
    db.prepare("INSERT INTO ledger (id, user_id, delta, reason, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
      `l2_${u.id}`, u.id, 50, "purchase", `checkout:${u.id}`, now + 1,
    );
    db.prepare("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?)").run(`tok_${u.id}`, u.id, now + 1000);
    db.prepare("INSERT INTO credentials (user_id, password_hash) VALUES (?, ?)").run(u.id, "hash");
    db.prepare(
      "INSERT INTO projects (id, user_id, name, description, prompt, framework, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(`p_${u.id}`, u.id, "App", "", "", "nextjs", "completed", now, now);
    for (const file of ["a.txt", "b.txt"]) {
      db.prepare("INSERT INTO files (project_id, path, content, language, size, updated_at) VALUES (?, ?, ?, ?, ?, ?)").run(
        `p_${u.id}`, file, `content of ${file}`, "text", 13, now,
      );
    }
  }
  for (const u of users.slice(0, 2)) {
    db.prepare(
      "INSERT INTO subscriptions (user_id, stripe_customer_id, stripe_subscription_id, plan, status, current_period_end) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(u.id, `cus_${u.id}`, `sub_${u.id}`, u.plan, "active", now + 10_000);
  }
}

/** Rows per table: every table, or only `only` (the tables an older schema had; later migrations add more). */
function rowCounts(db: Database.Database, only?: string[]): Record<string, number> {
  const tables =
    only ??
    (db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all() as string[]);
  return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number]));
}

describe("SQLite migration: plans named after the product", () => {
  it("is the migration right after the previous schema version, and needs foreign keys off", () => {
    expect(MIGRATIONS.length).toBeGreaterThan(BEFORE_PLAN_RENAME);
    expect(MIGRATIONS[BEFORE_PLAN_RENAME]).toMatchObject({ foreignKeysOff: true });
  });

  it("renames 'pro' to 'creator' and 'team' to 'pro', keeps every other row, and keeps foreign keys enforced", async () => {
    const file = freshFile();
    const old = databaseAt(file, BEFORE_PLAN_RENAME);
    seed(old);
    const countsBefore = rowCounts(old);
    old.close();

    const store = await createSqliteStore(file);
    expect((await store.getUser("u_team"))?.plan).toBe("pro");
    expect((await store.getUser("u_pro"))?.plan).toBe("creator");
    expect(await store.getUser("u_free")).toMatchObject({ plan: "free", tokenBalance: 150, deletedAt: 1_700_000_000_001 });
    expect((await store.getSubscription("u_team"))?.plan).toBe("pro");
    expect((await store.getSubscription("u_pro"))?.plan).toBe("creator");
    expect(await store.listLedger("u_team")).toHaveLength(2);
    expect((await store.getFile("u_team", "p_u_team", "b.txt"))?.content).toBe("content of b.txt");
    await store.close();

    const db = new Database(file);
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(rowCounts(db, Object.keys(countsBefore))).toEqual(countsBefore);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name LIKE '%_new'").all()).toEqual([]);
    expect(db.pragma("foreign_key_check")).toEqual([]);
    // The new CHECK accepts only the new names.
    expect(() => db.prepare("UPDATE users SET plan = 'team' WHERE id = 'u_free'").run()).toThrow(/CHECK constraint/);
    // References to the rebuilt tables still hold: unknown users are refused, deletes still cascade.
    db.pragma("foreign_keys = ON");
    expect(() =>
      db
        .prepare("INSERT INTO ledger (id, user_id, delta, reason, idempotency_key, created_at) VALUES ('lx', 'nobody', 1, 'adjustment', 'k', 0)")
        .run(),
    ).toThrow(/FOREIGN KEY constraint failed/);
    db.prepare("DELETE FROM users WHERE id = 'u_team'").run();
    for (const table of ["ledger", "sessions", "credentials", "projects", "subscriptions"]) {
      expect(db.prepare(`SELECT count(*) FROM ${table} WHERE user_id = 'u_team'`).pluck().get()).toBe(0);
    }
    expect(db.prepare("SELECT count(*) FROM files WHERE project_id = 'p_u_team'").pluck().get()).toBe(0);
    db.close();
  });

  it("turns foreign keys back on on the connection that ran it, where they are enforced", () => {
    const db = databaseAt(freshFile(), BEFORE_PLAN_RENAME);
    seed(db);
    expect(applyMigrations(db)).toBe(MIGRATIONS.length - BEFORE_PLAN_RENAME);
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(() =>
      db
        .prepare("INSERT INTO ledger (id, user_id, delta, reason, idempotency_key, created_at) VALUES ('lx', 'nobody', 1, 'adjustment', 'k', 0)")
        .run(),
    ).toThrow(/FOREIGN KEY constraint failed/);
    expect(applyMigrations(db)).toBe(0);
    db.close();
  });

  it("a foreign key violation rolls the whole migration back and turns foreign keys back on", () => {
    const file = freshFile();
    const db = databaseAt(file, BEFORE_PLAN_RENAME);
    seed(db);
    db.pragma("foreign_keys = OFF");
    db.prepare("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ('orphan', 'nobody', 0)").run();
    db.pragma("foreign_keys = ON");

    expect(() => applyMigrations(db)).toThrow(/foreign key violation/);
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(db.inTransaction).toBe(false);
    expect(db.pragma("user_version", { simple: true })).toBe(BEFORE_PLAN_RENAME);
    expect(db.prepare("SELECT plan FROM users WHERE id = 'u_team'").pluck().get()).toBe("team");
    expect(db.prepare("SELECT count(*) FROM ledger").pluck().get()).toBe(6);
    db.close();
  });
});

/** The schema version before runs and projects could end "completed_with_issues". */
const BEFORE_ISSUES_STATUS = 4;
/** The schema version before runs had a kind and a request. */
const BEFORE_RUN_KIND = 5;

describe("SQLite migration: the completed_with_issues status", () => {
  it("keeps every project, run and run event, accepts the new status, and keeps the index and the cascades", async () => {
    const file = freshFile();
    // Seeded under the old plan names, then brought to the version right before this migration as that build did.
    const old = databaseAt(file, BEFORE_PLAN_RENAME);
    seed(old);
    old.pragma("foreign_keys = OFF");
    for (const m of MIGRATIONS.slice(BEFORE_PLAN_RENAME, BEFORE_ISSUES_STATUS)) old.exec(typeof m === "string" ? m : m.sql);
    old.pragma(`user_version = ${BEFORE_ISSUES_STATUS}`);
    old.pragma("foreign_keys = ON");
    old.prepare("INSERT INTO reservations (id, user_id, amount, spent, status, idempotency_key, created_at) VALUES ('r1', 'u_pro', 10, 0, 'open', 'k1', 0)").run();
    old.prepare(
      "INSERT INTO runs (id, project_id, user_id, status, reservation_id, cap, estimate, error, created_at, finished_at) VALUES ('run1', 'p_u_pro', 'u_pro', 'completed', 'r1', 10, 10, NULL, 0, 1)",
    ).run();
    old.prepare("INSERT INTO run_events (run_id, seq, type, data, created_at) VALUES ('run1', 1, 'log', '{}', 0)").run();
    const countsBefore = rowCounts(old);
    old.close();

    const store = await createSqliteStore(file);
    await store.close();
    const db = new Database(file);
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(rowCounts(db, Object.keys(countsBefore))).toEqual(countsBefore);
    expect(db.pragma("foreign_key_check")).toEqual([]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'runs_by_project'").pluck().get()).toBe("runs_by_project");
    db.prepare("UPDATE runs SET status = 'completed_with_issues' WHERE id = 'run1'").run();
    db.prepare("UPDATE projects SET status = 'completed_with_issues' WHERE id = 'p_u_pro'").run();
    expect(() => db.prepare("UPDATE runs SET status = 'done' WHERE id = 'run1'").run()).toThrow(/CHECK constraint/);
    db.pragma("foreign_keys = ON");
    db.prepare("DELETE FROM projects WHERE id = 'p_u_pro'").run();
    expect(db.prepare("SELECT count(*) FROM runs").pluck().get()).toBe(0);
    expect(db.prepare("SELECT count(*) FROM run_events").pluck().get()).toBe(0);
    expect(db.prepare("SELECT count(*) FROM files WHERE project_id = 'p_u_pro'").pluck().get()).toBe(0);
    db.close();
  });
});

describe("SQLite migration: a run's kind and request", () => {
  it("labels earlier runs from their first event: change requests with their text, the rest as generations", async () => {
    const file = freshFile();
    const old = databaseAt(file, BEFORE_PLAN_RENAME);
    seed(old);
    old.pragma("foreign_keys = OFF");
    for (const m of MIGRATIONS.slice(BEFORE_PLAN_RENAME, BEFORE_RUN_KIND)) old.exec(typeof m === "string" ? m : m.sql);
    old.pragma(`user_version = ${BEFORE_RUN_KIND}`);
    old.pragma("foreign_keys = ON");
    const started = (runId: string, extra: object) =>
      JSON.stringify({ type: "run_started", runId, projectId: "p_u_pro", reserved: 1, estimate: 1, ...extra });
    for (const [runId, data] of [
      ["gen", started("gen", { kind: "generation" })],
      ["change", started("change", { kind: "change", request: "add a due date" })],
      ["old", started("old", {})],
      ["silent", null],
    ] as const) {
      old.prepare(`INSERT INTO reservations (id, user_id, amount, spent, status, idempotency_key, created_at) VALUES (?, 'u_pro', 1, 0, 'open', ?, 0)`).run(`r_${runId}`, `k_${runId}`);
      old.prepare(
        `INSERT INTO runs (id, project_id, user_id, status, reservation_id, cap, estimate, error, created_at, finished_at) VALUES (?, 'p_u_pro', 'u_pro', 'completed', ?, 1, 1, NULL, 0, 1)`,
      ).run(runId, `r_${runId}`);
      if (data) old.prepare("INSERT INTO run_events (run_id, seq, type, data, created_at) VALUES (?, 1, 'run_started', ?, 0)").run(runId, data);
    }
    old.close();

    const store = await createSqliteStore(file);
    await store.close();
    const db = new Database(file);
    expect(db.prepare("SELECT id, kind, request FROM runs ORDER BY id").all()).toEqual([
      { id: "change", kind: "change", request: "add a due date" },
      { id: "gen", kind: "generation", request: "" },
      { id: "old", kind: "generation", request: "" },
      { id: "silent", kind: "generation", request: "" },
    ]);
    expect(() => db.prepare("UPDATE runs SET kind = 'rebuild' WHERE id = 'gen'").run()).toThrow(/CHECK constraint/);
    db.close();
  });
});

/** The schema version before ended subscriptions were remembered. */
const BEFORE_ENDED_SUBSCRIPTIONS = 6;

describe("SQLite migration: ended subscriptions", () => {
  it("is the migration right after the runs' kind", () => {
    expect(BEFORE_ENDED_SUBSCRIPTIONS).toBe(BEFORE_RUN_KIND + 1);
    expect(MIGRATIONS[BEFORE_ENDED_SUBSCRIPTIONS]).toMatch(/CREATE TABLE ended_subscriptions/);
  });

  it("remembers every subscription already held in a final state, so no late event revives it", async () => {
    const file = freshFile();
    const old = databaseAt(file, BEFORE_PLAN_RENAME);
    seed(old);
    old.pragma("foreign_keys = OFF");
    for (const m of MIGRATIONS.slice(BEFORE_PLAN_RENAME, BEFORE_ENDED_SUBSCRIPTIONS)) old.exec(typeof m === "string" ? m : m.sql);
    old.pragma(`user_version = ${BEFORE_ENDED_SUBSCRIPTIONS}`);
    old.pragma("foreign_keys = ON");
    // u_team's subscription is canceled, u_pro's still active (seeded), u_free's expired before its first payment.
    old.prepare("UPDATE subscriptions SET status = 'canceled' WHERE user_id = 'u_team'").run();
    old.prepare("UPDATE users SET plan = 'free' WHERE id = 'u_team'").run();
    old.prepare(
      "INSERT INTO subscriptions (user_id, stripe_customer_id, stripe_subscription_id, plan, status, current_period_end) VALUES ('u_free', 'cus_f', 'sub_u_free', 'creator', 'incomplete_expired', 0)",
    ).run();
    const countsBefore = rowCounts(old);
    old.close();

    const store = await createSqliteStore(file);
    // The canceled subscription's late "active" news changes nothing; the live one still follows its events.
    const late = { userId: "u_team", stripeSubscriptionId: "sub_u_team", plan: "pro" as const, status: "active" as const };
    expect(await store.recordWebhookEvent("stripe", "evt_late", { subscription: late })).toEqual({
      kind: "first",
      granted: 0,
      subscription: { kind: "unchanged", reason: "subscription_ended" },
    });
    expect((await store.getUser("u_team"))?.plan).toBe("free");
    expect((await store.getSubscription("u_team"))?.status).toBe("canceled");
    const update = { userId: "u_pro", stripeSubscriptionId: "sub_u_pro", plan: "creator" as const, status: "past_due" as const };
    expect((await store.recordWebhookEvent("stripe", "evt_live", { subscription: update })).kind).toBe("first");
    expect((await store.getSubscription("u_pro"))?.status).toBe("past_due");
    await store.close();

    const db = new Database(file);
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(rowCounts(db, Object.keys(countsBefore))).toMatchObject({ ...countsBefore, webhook_events: 2 });
    expect(db.prepare("SELECT user_id, stripe_subscription_id FROM ended_subscriptions ORDER BY user_id").all()).toEqual([
      { user_id: "u_free", stripe_subscription_id: "sub_u_free" },
      { user_id: "u_team", stripe_subscription_id: "sub_u_team" },
    ]);
    // Remembered once per user and subscription, and gone with the user.
    expect(() =>
      db.prepare("INSERT INTO ended_subscriptions (user_id, stripe_subscription_id, recorded_at) VALUES ('u_team', 'sub_u_team', 0)").run(),
    ).toThrow(/UNIQUE constraint/);
    db.pragma("foreign_keys = ON");
    db.prepare("DELETE FROM users WHERE id = 'u_team'").run();
    expect(db.prepare("SELECT count(*) FROM ended_subscriptions WHERE user_id = 'u_team'").pluck().get()).toBe(0);
    db.close();
  });
});

/** The schema version before a deleted project's deployments were kept. */
const BEFORE_KEPT_DEPLOYMENTS = 7;

describe("SQLite migration: deployments outlive their project", () => {
  it("keeps every deployment, which a project's deletion then detaches instead of deleting", async () => {
    const file = freshFile();
    const old = databaseAt(file, BEFORE_PLAN_RENAME);
    seed(old);
    old.pragma("foreign_keys = OFF");
    for (const m of MIGRATIONS.slice(BEFORE_PLAN_RENAME, BEFORE_KEPT_DEPLOYMENTS)) old.exec(typeof m === "string" ? m : m.sql);
    old.pragma(`user_version = ${BEFORE_KEPT_DEPLOYMENTS}`);
    old.pragma("foreign_keys = ON");
    const insert = old.prepare(
      `INSERT INTO deployments (id, project_id, user_id, provider, status, url, provider_id, logs, created_at, updated_at)
       VALUES (?, ?, ?, 'vercel', 'success', 'https://app.vercel.app', 'dpl_1', 'ok', ?, ?)`,
    );
    insert.run("d_pro", "p_u_pro", "u_pro", 1, 1);
    insert.run("d_team", "p_u_team", "u_team", 2, 2);
    const countsBefore = rowCounts(old);
    old.close();

    const store = await createSqliteStore(file);
    expect(await store.listDeployments("u_pro", "p_u_pro")).toMatchObject([{ id: "d_pro", projectId: "p_u_pro", status: "success" }]);
    expect(await store.listUserDeployments("u_pro")).toMatchObject([{ id: "d_pro", projectId: "p_u_pro", projectName: "App" }]);
    await store.deleteProject("u_pro", "p_u_pro");
    expect(await store.listUserDeployments("u_pro")).toMatchObject([{ id: "d_pro", projectId: null, projectName: "App", url: "https://app.vercel.app" }]);
    await store.close();

    const db = new Database(file);
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(rowCounts(db).deployments).toBe(countsBefore.deployments);
    expect(db.pragma("foreign_key_check")).toEqual([]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deployments' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all()).toEqual([
      "deployments_by_project",
      "deployments_by_user",
    ]);
    // A project deleted outside the store (a user's cascade) sets the reference to NULL rather than taking the row.
    db.pragma("foreign_keys = ON");
    db.prepare("DELETE FROM projects WHERE id = 'p_u_team'").run();
    expect(db.prepare("SELECT project_id FROM deployments WHERE id = 'd_team'").pluck().get()).toBeNull();
    db.close();
  });
});

/** The schema version before users' AI endpoints and a project's remembered model. */
const BEFORE_AI_ENDPOINTS = 8;

describe("SQLite migration: AI endpoints and a project's model", () => {
  it("is the migration right after the kept deployments", () => {
    expect(BEFORE_AI_ENDPOINTS).toBe(BEFORE_KEPT_DEPLOYMENTS + 1);
    expect(MIGRATIONS[BEFORE_AI_ENDPOINTS]).toMatch(/CREATE TABLE ai_endpoints/);
  });

  it("keeps every project, with no model, and adds an empty endpoints table that goes with its user", async () => {
    const file = freshFile();
    const old = databaseAt(file, BEFORE_PLAN_RENAME);
    seed(old);
    old.pragma("foreign_keys = OFF");
    for (const m of MIGRATIONS.slice(BEFORE_PLAN_RENAME, BEFORE_AI_ENDPOINTS)) old.exec(typeof m === "string" ? m : m.sql);
    old.pragma(`user_version = ${BEFORE_AI_ENDPOINTS}`);
    old.pragma("foreign_keys = ON");
    const countsBefore = rowCounts(old);
    old.close();

    const store = await createSqliteStore(file);
    expect(await store.getProject("u_pro", "p_u_pro")).toMatchObject({ name: "App", status: "completed", model: null });
    expect(await store.updateProject("u_pro", "p_u_pro", { model: "platform:openai:gpt-6-luna" })).toMatchObject({ model: "platform:openai:gpt-6-luna" });
    expect(await store.listAiEndpoints("u_pro")).toEqual([]);
    const endpoint = await store.createAiEndpoint("u_pro", {
      name: "Ollama",
      baseUrl: "http://10.0.0.5:11434/v1",
      ciphertext: null,
      last4: null,
      models: ["qwen3-coder:30b"],
    });
    await store.close();

    const db = new Database(file);
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(rowCounts(db, Object.keys(countsBefore))).toEqual(countsBefore);
    expect(db.pragma("foreign_key_check")).toEqual([]);
    expect(db.prepare("SELECT id, model FROM projects ORDER BY id").all()).toEqual([
      { id: "p_u_free", model: null },
      { id: "p_u_pro", model: "platform:openai:gpt-6-luna" },
      { id: "p_u_team", model: null },
    ]);
    expect(db.prepare("SELECT models FROM ai_endpoints WHERE id = ?").pluck().get(endpoint.id)).toBe('["qwen3-coder:30b"]');
    // models is always a JSON array.
    expect(() => db.prepare("UPDATE ai_endpoints SET models = '{}' WHERE id = ?").run(endpoint.id)).toThrow(/CHECK constraint/);
    expect(() => db.prepare("UPDATE ai_endpoints SET models = 'not json' WHERE id = ?").run(endpoint.id)).toThrow(/CHECK constraint/);
    db.pragma("foreign_keys = ON");
    db.prepare("DELETE FROM users WHERE id = 'u_pro'").run();
    expect(db.prepare("SELECT count(*) FROM ai_endpoints").pluck().get()).toBe(0);
    db.close();
  });
});
