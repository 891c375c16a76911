import { describe, expect, it, vi } from "vitest";
import { api } from "@/convex/_generated/api";
import { isStoreError } from "@/lib/store/types";
import { SERVER_SECRET, newBackend, openConvexStore } from "./backend";

describe("Convex functions require the server secret", () => {
  it("the adapter with the wrong secret is refused, and nothing is written", async () => {
    const { store: intruder, t } = await openConvexStore("not-the-secret");
    const refused = intruder.ensureUser({ externalId: "user_x", email: "x@example.com" });
    await expect(refused).rejects.toThrow(/Convex refused the request \(wrong server secret\)/);
    await expect(refused).rejects.not.toSatisfy((e) => isStoreError(e));

    await expect(intruder.getUserByExternalId("user_x")).rejects.toThrow(/wrong server secret/);
    const users = await t.run((ctx) => ctx.db.query("users").collect());
    expect(users).toEqual([]);
  });

  it("a secret that only shares a prefix, or is longer, is refused", async () => {
    const t = newBackend();
    for (const serverSecret of [SERVER_SECRET.slice(0, -1), `${SERVER_SECRET}x`, ""]) {
      await expect(t.query(api.users.getByEmail, { email: "a@example.com", serverSecret })).rejects.toThrow(
        /wrong server secret/,
      );
    }
    await expect(t.query(api.users.getByEmail, { email: "a@example.com", serverSecret: SERVER_SECRET })).resolves.toBeNull();
  });

  it("every call is refused while AUTOCREA_SERVER_SECRET is unset on the deployment", async () => {
    const t = newBackend();
    vi.stubEnv("AUTOCREA_SERVER_SECRET", "");
    await expect(t.query(api.users.getByEmail, { email: "a@example.com", serverSecret: "" })).rejects.toThrow(
      /AUTOCREA_SERVER_SECRET is not set/,
    );
    await expect(
      t.mutation(api.users.ensure, { externalId: "u", email: "u@example.com", name: "u", serverSecret: "" }),
    ).rejects.toThrow(/AUTOCREA_SERVER_SECRET is not set/);
    vi.stubEnv("AUTOCREA_SERVER_SECRET", SERVER_SECRET);
    expect(await t.run((ctx) => ctx.db.query("users").collect())).toEqual([]);
  });

  it("every public function declares the serverSecret argument", async () => {
    const modules = import.meta.glob<Record<string, unknown>>(["../../convex/*.ts", "!../../convex/schema.ts"], {
      eager: true,
    });
    const unguarded: string[] = [];
    let checked = 0;
    for (const [path, exports] of Object.entries(modules)) {
      for (const [name, fn] of Object.entries(exports)) {
        const registered = fn as { isPublic?: boolean; exportArgs?: () => string };
        if (!registered?.isPublic || !registered.exportArgs) continue;
        checked += 1;
        const args = JSON.parse(registered.exportArgs()) as { value: Record<string, { fieldType: { type: string } }> };
        if (args.value.serverSecret?.fieldType.type !== "string") unguarded.push(`${path}:${name}`);
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(unguarded).toEqual([]);
  });
});
