#!/usr/bin/env node
/**
 * `npm run dev`: the app and the sandbox-runner together, with no env needed.
 *
 * - RUNNER_URL set (shell or .env files) → that runner is used; none is started here.
 * - Otherwise a local runner is started on RUNNER_PORT (4100) with a fresh
 *   random RUNNER_SECRET, and the app gets the same secret and RUNNER_URL.
 * - If the runner cannot start (no bubblewrap because setup wasn't run, no
 *   cgroups…), the app keeps running and reports the runner as unavailable.
 * - AUTOCREA_ENCRYPTION_KEY unset → a local key kept in DATA_DIR/encryption-key
 *   (created once, mode 0600), so users can save their API keys and deploy/Git
 *   tokens on the embedded defaults and still read them after a restart.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
// Read .env files exactly as Next does, so a runner configured there is respected.
require("@next/env").loadEnvConfig(root, true, { info() {}, error: console.error });

const children = new Set();
let shuttingDown = false;

function start(name, command, args, options) {
  const child = spawn(command, args, { stdio: "inherit", ...options });
  children.add(child);
  child.on("exit", (code, signal) => {
    children.delete(child);
    if (shuttingDown) return;
    if (name === "app") {
      console.error(`[dev] the app exited (${signal ?? code}); stopping.`);
      shutdown(typeof code === "number" ? code : 1);
    } else {
      console.error(
        `[dev] the sandbox-runner exited (${signal ?? code}). The app keeps running and reports the runner ` +
          "as unavailable. Run `npm run setup` (installs bubblewrap and the runner's packages) and restart.",
      );
    }
  });
  return child;
}

/**
 * The runner gets only what it needs, not the app's other secrets: its own settings, what its
 * package gateway needs to reach the registry (extra CA certificates, proxies), and the log settings.
 */
function runnerEnv(appEnv, port) {
  const own = Object.entries(appEnv).filter(([key]) =>
    /^(RUNNER_|SANDBOX_)|^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy|LOG_LEVEL|LOG_FORMAT)$/.test(key),
  );
  return { PATH: appEnv.PATH, HOME: appEnv.HOME, ...Object.fromEntries(own), PORT: port, NODE_ENV: "development" };
}

const env = { ...process.env };

/** The local encryption key of this data folder: read, or created on first use. */
function localEncryptionKey(dataDir) {
  const file = path.join(dataDir, "encryption-key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString("hex");
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: "wx" });
  console.log(`[dev] created a local encryption key for saved keys and tokens: ${file}`);
  return key;
}
env.AUTOCREA_ENCRYPTION_KEY ||= localEncryptionKey(path.resolve(root, env.DATA_DIR || ".data"));

if (!env.RUNNER_URL) {
  const port = env.RUNNER_PORT || "4100";
  env.RUNNER_SECRET ||= randomBytes(32).toString("hex");
  env.RUNNER_URL = `http://127.0.0.1:${port}`;
  const runnerDir = path.join(root, "sandbox-runner");
  if (existsSync(path.join(runnerDir, "node_modules"))) {
    start("runner", process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: runnerDir,
      env: runnerEnv(env, port),
    });
  } else {
    console.error("[dev] sandbox-runner/node_modules is missing; run `npm run setup`. Starting the app without a runner.");
  }
} else {
  console.log(`[dev] using the runner at ${env.RUNNER_URL}`);
}

start("app", process.execPath, [require.resolve("next/dist/bin/next"), "dev", ...process.argv.slice(2)], {
  cwd: root,
  env,
});

function shutdown(code = 0) {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const child of children) child.kill("SIGTERM");
  const force = setTimeout(() => {
    for (const child of children) child.kill("SIGKILL");
    process.exit(code);
  }, 5000);
  force.unref();
  const waitAll = () => (children.size === 0 ? process.exit(code) : setTimeout(waitAll, 50));
  waitAll();
}
process.on("SIGINT", () => shutdown(130));
process.on("SIGTERM", () => shutdown(143));
