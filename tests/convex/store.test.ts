import { describe, expect, it } from "vitest";
import { MAX_FILE_BYTES, MAX_FILES_PER_PROJECT } from "@/lib/files/paths";
import { isStoreError, type ProjectStatus, type StoreErrorCode } from "@/lib/store/types";
import { api } from "@/convex/_generated/api";
import { openConvexStore, SERVER_SECRET } from "./backend";

async function storeErrorCode(promise: Promise<unknown>): Promise<StoreErrorCode | "resolved" | string> {
  try {
    await promise;
    return "resolved";
  } catch (e) {
    return isStoreError(e) ? e.code : `not a StoreError: ${String(e)}`;
  }
}

describe("Convex store specifics", () => {
  it("strings that are not ids of the right table behave like missing records", async () => {
    const { store } = await openConvexStore();
    const { user } = await store.ensureUser({ externalId: "u1", email: "u1@example.com" });
    const project = await store.createProject(user.id, { name: "App" });

    expect(await store.getUser("not-an-id")).toBeNull();
    expect(await store.getUser(project.id)).toBeNull();
    expect(await store.getProject(user.id, user.id)).toBeNull();
    expect(await store.getReservation(project.id)).toBeNull();
    expect(await store.listProjects("not-an-id")).toEqual([]);
    expect(await storeErrorCode(store.getBalance(project.id))).toBe("not_found");
    expect(await storeErrorCode(store.chargeReservation(project.id, 1))).toBe("not_found");
    expect(await storeErrorCode(store.createProject("not-an-id", { name: "X" }))).toBe("not_found");
    expect(await storeErrorCode(store.finishGenerationStep(user.id, project.id, { status: "failed" }))).toBe("not_found");
  });

  it("paths that are not valid Convex field names survive versions and restore", async () => {
    const { store } = await openConvexStore();
    const { user } = await store.ensureUser({ externalId: "u1", email: "u1@example.com" });
    const project = await store.createProject(user.id, { name: "App" });
    const files = [
      { path: "$lib/x.ts", content: "dollar" },
      { path: "_app.tsx", content: "underscore" },
      { path: "docs/über.md", content: "umlaut" },
    ];
    const v1 = await store.saveFiles(user.id, project.id, { files, message: "odd names" });
    expect(Object.keys(v1.manifest).sort()).toEqual(files.map((f) => f.path).sort());

    await store.saveFiles(user.id, project.id, { files: [], deletes: files.map((f) => f.path), message: "empty" });
    expect(await store.listFiles(user.id, project.id)).toEqual([]);

    const v3 = await store.restoreVersion(user.id, project.id, 1);
    expect(v3.manifest).toEqual(v1.manifest);
    const restored = (await store.listFiles(user.id, project.id)).map((f) => ({ path: f.path, content: f.content }));
    expect(restored).toEqual(await store.getVersionFiles(user.id, project.id, 1));
    expect(restored.map((f) => f.path).sort()).toEqual(files.map((f) => f.path).sort());
  });

  it("blobs are stored once per content, across files, versions and projects", async () => {
    const { store, t } = await openConvexStore();
    const { user } = await store.ensureUser({ externalId: "u1", email: "u1@example.com" });
    const a = await store.createProject(user.id, { name: "A" });
    const b = await store.createProject(user.id, { name: "B" });
    await store.saveFiles(user.id, a.id, {
      files: [
        { path: "one.txt", content: "same" },
        { path: "two.txt", content: "same" },
      ],
      message: "v1",
    });
    await store.saveFiles(user.id, a.id, { files: [{ path: "three.txt", content: "other" }], message: "v2" });
    await store.saveFiles(user.id, b.id, { files: [{ path: "copy.txt", content: "same" }], message: "v1" });

    const blobs = await t.run((ctx) => ctx.db.query("blobs").collect());
    expect(blobs.map((blob) => blob.content).sort()).toEqual(["other", "same"]);
  });

  it("a save that would exceed the project's file limit is refused inside the mutation and writes nothing", async () => {
    const { store } = await openConvexStore();
    const { user } = await store.ensureUser({ externalId: "u1", email: "u1@example.com" });
    const project = await store.createProject(user.id, { name: "Full" });
    const full = Array.from({ length: MAX_FILES_PER_PROJECT }, (_, i) => ({ path: `f/${i}.txt`, content: `${i}` }));
    await store.saveFiles(user.id, project.id, { files: full, message: "full" });

    const code = await storeErrorCode(
      store.saveFiles(user.id, project.id, {
        files: [
          { path: "f/0.txt", content: "changed" },
          { path: "one-too-many.txt", content: "x" },
        ],
        message: "too many",
      }),
    );
    expect(code).toBe("invalid");
    expect((await store.getFile(user.id, project.id, "f/0.txt"))?.content).toBe("0");
    expect(await store.getFile(user.id, project.id, "one-too-many.txt")).toBeNull();
    expect((await store.listVersions(user.id, project.id)).map((v) => v.number)).toEqual([1]);
  });

  it("saving into and restoring a project larger than one transaction's 16 MiB read limit works", async () => {
    const { store } = await openConvexStore();
    const { user } = await store.ensureUser({ externalId: "u1", email: "u1@example.com" });
    const project = await store.createProject(user.id, { name: "Big" });
    const big = (i: number) => `${i}:`.padEnd(500_000, "x");
    for (let save = 0; save < 5; save++) {
      const files = Array.from({ length: 8 }, (_, j) => ({ path: `big/${save}-${j}.txt`, content: big(save * 8 + j) }));
      await store.saveFiles(user.id, project.id, { files, message: `part ${save}` });
    }

    const small = await store.saveFiles(user.id, project.id, {
      files: [{ path: "README.md", content: "# Big" }],
      message: "small edit",
    });
    expect(Object.keys(small.manifest)).toHaveLength(41);
    const restored = await store.restoreVersion(user.id, project.id, 1);
    expect(Object.keys(restored.manifest)).toHaveLength(8);
    expect((await store.getFile(user.id, project.id, "big/0-3.txt"))?.content).toBe(big(3));
    expect(await store.getFile(user.id, project.id, "big/4-0.txt")).toBeNull();
  });

  it("a file of the largest allowed size fits in one Convex document", async () => {
    const { store } = await openConvexStore();
    const { user } = await store.ensureUser({ externalId: "u1", email: "u1@example.com" });
    const project = await store.createProject(user.id, { name: "App" });
    const content = "é".repeat(MAX_FILE_BYTES / 2);
    await store.saveFiles(user.id, project.id, { files: [{ path: "max.txt", content }], message: "m" });
    expect((await store.getFile(user.id, project.id, "max.txt"))?.content).toBe(content);
  });

  it("a webhook grant for an unknown user fails without recording the event", async () => {
    const { store } = await openConvexStore();
    const { user } = await store.ensureUser({ externalId: "u1", email: "u1@example.com" });
    const ghost = await store.createProject(user.id, { name: "not a user" });
    const grant = { amount: 10, reason: "purchase" as const, idempotencyKey: "cs_ghost" };

    expect(await storeErrorCode(store.recordWebhookEvent("stripe", "evt_1", { grant: { ...grant, userId: ghost.id } }))).toBe(
      "not_found",
    );
    expect(await store.recordWebhookEvent("stripe", "evt_1", { grant: { ...grant, userId: user.id } })).toEqual({
      kind: "first",
      granted: 10,
      subscription: null,
    });
    expect(await store.getBalance(user.id)).toBe(110);
  });

  it("a subscription row written before ended ids were kept still counts as ended, and is remembered on its next news", async () => {
    const { store, t } = await openConvexStore();
    const { user } = await store.ensureUser({ externalId: "u1", email: "u1@example.com" });
    // As an older deployment left it: canceled, no lastEventAt, nothing in endedSubscriptions.
    await t.run(async (ctx) => {
      const userId = ctx.db.normalizeId("users", user.id)!;
      await ctx.db.insert("subscriptions", {
        userId,
        stripeCustomerId: "cus_old",
        stripeSubscriptionId: "sub_old",
        plan: "creator",
        status: "canceled",
        currentPeriodEnd: 0,
      });
    });
    const late = { userId: user.id, stripeSubscriptionId: "sub_old", plan: "creator" as const, status: "active" as const };
    expect(await store.recordWebhookEvent("stripe", "evt_late", { subscription: late })).toEqual({
      kind: "first",
      granted: 0,
      subscription: { kind: "unchanged", reason: "subscription_ended" },
    });
    expect((await store.getUser(user.id))?.plan).toBe("free");
    const ended = await t.run((ctx) => ctx.db.query("endedSubscriptions").collect());
    expect(ended.map((e) => [e.userId, e.stripeSubscriptionId])).toEqual([[user.id, "sub_old"]]);

    // A new subscription replaces the ended row; the old one stays ended after that.
    await store.recordWebhookEvent("stripe", "evt_new", { subscription: { ...late, stripeSubscriptionId: "sub_new", plan: "pro" } });
    await store.recordWebhookEvent("stripe", "evt_late_2", { subscription: late });
    expect(await store.getSubscription(user.id)).toMatchObject({ stripeSubscriptionId: "sub_new", stripeCustomerId: "cus_old", plan: "pro" });
    expect((await store.getUser(user.id))?.plan).toBe("pro");
  });

  it("a value the function validators reject surfaces as StoreError invalid", async () => {
    const { store } = await openConvexStore();
    const { user } = await store.ensureUser({ externalId: "u1", email: "u1@example.com" });
    const project = await store.createProject(user.id, { name: "App" });
    const code = await storeErrorCode(store.updateProject(user.id, project.id, { status: "bogus" as ProjectStatus }));
    expect(code).toBe("invalid");
    expect((await store.getProject(user.id, project.id))?.status).toBe("pending");
  });

  it("deleting a project larger than one transaction purges it in batches and leaves none of its rows", async () => {
    const { store, t } = await openConvexStore();
    const { user } = await store.ensureUser({ externalId: "u1", email: "u1@example.com" });
    const project = await store.createProject(user.id, { name: "Huge" });
    const keep = await store.createProject(user.id, { name: "Keep" });
    await store.saveFiles(user.id, keep.id, { files: [{ path: "k.txt", content: "k" }], message: "k" });
    for (let i = 0; i < 40; i++) {
      await store.saveFiles(user.id, project.id, { files: [{ path: `src/${i}.ts`, content: `export const v = ${i};` }], message: `v${i}` });
    }
    // 24 steps of 700 KB: more than one transaction may read (16 MiB), so one mutation could not delete them all.
    const output = "o".repeat(700_000);
    for (let r = 0; r < 3; r++) {
      const reserved = await store.reserveCredits(user.id, 1, `huge-${r}`);
      if (!reserved.ok) throw new Error("reservation refused");
      const run = await store.createRun(user.id, { projectId: project.id, reservationId: reserved.reservation.id, cap: 1, estimate: 1 });
      for (let e = 0; e < 110; e++) await store.appendRunEvent(user.id, run.id, { type: "log", level: "info", message: `${r}:${e}` });
      for (let s = 0; s < 8; s++) {
        const step = await store.startGenerationStep(user.id, { projectId: project.id, runId: run.id, role: "backend" });
        await store.finishGenerationStep(user.id, step.id, { status: "succeeded", output });
      }
      await store.settleReservation(reserved.reservation.id);
      await store.finishRun(user.id, run.id, { status: "completed" });
    }
    const logs = "l".repeat(60_000);
    for (let d = 0; d < 40; d++) {
      const deployment = await store.createDeployment(user.id, project.id, "vercel");
      await store.updateDeployment(user.id, deployment.id, { status: "failed", logs });
    }
    for (let a = 0; a < 3; a++) await store.recordAiRequest({ userId: user.id, projectId: project.id, kind: "chat", model: "m", tokens: 1, credits: 1 });

    await store.deleteProject(user.id, project.id);

    const left = await t.run(async (ctx) => {
      const of = <T extends { projectId?: unknown }>(rows: T[]) => rows.filter((row) => row.projectId === project.id).length;
      const runs = await ctx.db.query("runs").collect();
      return {
        project: await ctx.db.get("projects", project.id as never),
        files: of(await ctx.db.query("files").collect()),
        versions: of(await ctx.db.query("versions").collect()),
        runs: of(runs),
        runEvents: (await ctx.db.query("runEvents").collect()).length,
        generations: of(await ctx.db.query("generations").collect()),
        deployments: await ctx.db.query("deployments").collect(),
        aiRequests: await ctx.db.query("aiRequests").collect(),
        keepFiles: (await ctx.db.query("files").collect()).filter((f) => f.projectId === keep.id).length,
      };
    });
    expect(left).toMatchObject({ project: null, files: 0, versions: 0, runs: 0, runEvents: 0, generations: 0, keepFiles: 1 });
    expect(left.deployments).toHaveLength(40);
    expect(left.deployments.every((d) => d.projectId === undefined && d.projectName === "Huge")).toBe(true);
    expect(left.aiRequests.map((r) => r.projectId)).toEqual([null, null, null]);
    expect(await store.listUserDeployments(user.id)).toHaveLength(40);
    expect(await store.getVersionFiles(user.id, keep.id, 1)).toEqual([{ path: "k.txt", content: "k" }]);
  });

  it("a deleted project whose purge was cut short is invisible, frees its name, and is purged by the user's next deletion", async () => {
    const { store, t } = await openConvexStore();
    const { user } = await store.ensureUser({ externalId: "u1", email: "u1@example.com" });
    const first = await store.createProject(user.id, { name: "First" });
    await store.saveFiles(user.id, first.id, { files: [{ path: "a.txt", content: "a" }], message: "v1" });
    await store.createDeployment(user.id, first.id, "netlify");
    // The mutation that marks it deleted ran; the process stopped before purging.
    await t.mutation(api.projects.remove, { userId: user.id, projectId: first.id, serverSecret: SERVER_SECRET });

    expect(await store.getProject(user.id, first.id)).toBeNull();
    expect(await store.listProjects(user.id)).toEqual([]);
    expect(await storeErrorCode(store.listFiles(user.id, first.id))).toBe("not_found");
    expect(await storeErrorCode(store.saveFiles(user.id, first.id, { files: [{ path: "b", content: "" }], message: "x" }))).toBe("not_found");
    expect(await storeErrorCode(store.deleteProject(user.id, first.id))).toBe("not_found");
    const second = await store.createProject(user.id, { name: "First" });
    expect((await store.listUserDeployments(user.id))[0]).toMatchObject({ projectName: "First" });

    await store.deleteProject(user.id, second.id);
    const left = await t.run(async (ctx) => ({
      projects: await ctx.db.query("projects").collect(),
      files: await ctx.db.query("files").collect(),
      deployments: await ctx.db.query("deployments").collect(),
    }));
    expect(left.projects).toEqual([]);
    expect(left.files).toEqual([]);
    expect(left.deployments.map((d) => [d.projectId, d.projectName])).toEqual([[undefined, "First"]]);
  });
});
