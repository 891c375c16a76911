import { after } from "next/server";

/**
 * Work that goes on after the response has been sent — a run, a deployment's status polling. Inside a
 * request it is handed to Next's `after()`, so a serverless platform keeps the function alive until the
 * work settles (at most the route's `maxDuration`; see README, "Deploying on Vercel"). Outside a request
 * (a test calling lib/ directly, a script) there is nothing to hand it to, and it simply runs on.
 */
export function continueAfterResponse(work: Promise<unknown>): void {
  const settled = work.then(
    () => undefined,
    () => undefined, // the work reports its own failures; after() must not see them as the request's
  );
  try {
    after(() => settled);
  } catch (err) {
    if (!(err instanceof Error && /outside a request scope/i.test(err.message))) throw err;
  }
}
