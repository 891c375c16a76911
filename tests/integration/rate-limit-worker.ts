/**
 * Child process for tests/integration/rate-limit.test.ts: one "app instance"
 * with its own connection to the shared SQLite file. On "go" it hits one
 * rate-limit key `attempts` times and reports how many hits were allowed.
 * Started with `node --import tsx`.
 */
import { createSqliteStore } from "@/lib/store/sqlite";

const [file, key, max, attempts] = process.argv.slice(2);
const store = await createSqliteStore(file);
process.once("message", async () => {
  let allowed = 0;
  for (let i = 0; i < Number(attempts); i++) {
    if ((await store.hitRateLimit(key, { max: Number(max), windowMs: 60_000 })).ok) allowed++;
  }
  await store.close();
  process.send!({ allowed }, () => process.exit(0));
});
process.send!("ready");
