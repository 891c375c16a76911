/**
 * Child process for tests/contract/sqlite.test.ts: opens its own connection
 * to the shared database file and, on "go", races the other processes to
 * reserve credits. Started with `node --import tsx`.
 */
import { createSqliteStore } from "@/lib/store/sqlite";

interface Job {
  file: string;
  userId: string;
  amount: number;
  attempts: number;
  label: string;
}

const [file, userId, amount, attempts, label] = process.argv.slice(2);
const job: Job = { file, userId, amount: Number(amount), attempts: Number(attempts), label };

const store = await createSqliteStore(job.file);
process.once("message", async () => {
  let succeeded = 0;
  for (let i = 0; i < job.attempts; i++) {
    const result = await store.reserveCredits(job.userId, job.amount, `${job.label}-${i}`);
    if (result.ok) succeeded++;
  }
  await store.close();
  process.send!({ succeeded }, () => process.exit(0));
});
process.send!("ready");
