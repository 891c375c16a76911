import { chmodSync, rmSync } from "node:fs";
import path from "node:path";
import { runServer } from "verdaccio";

/**
 * The gateway's registry server: Verdaccio as a read-only, caching proxy of the configured npm
 * upstreams, listening on a Unix socket that only its own uid (and the runner, root) can reach.
 * Started by registry-process.ts as an unprivileged uid of its own; the sandboxes never reach it
 * directly, only through their session's door (door.ts), which lets GET and HEAD through.
 *
 * Input: REGISTRY_SETTINGS (JSON: upstreams, storage, socket). Prints "ready" once listening.
 */

interface Settings {
  upstreams: string[];
  storage: string;
  socket: string;
}

const settings = JSON.parse(process.env.REGISTRY_SETTINGS ?? "null") as Settings;
const uplinks = Object.fromEntries(
  settings.upstreams.map((url, i) => [
    `upstream${i}`,
    // maxage: metadata is revalidated upstream at most every 10 minutes; a warm install reads the cache.
    { url, cache: true, timeout: "60s", maxage: "10m", max_fails: 3, fail_timeout: "1m", agent_options: { keepAlive: true, maxSockets: 32 } },
  ]),
);
const proxy = Object.keys(uplinks).join(" ");
// Nobody can publish or unpublish: there are no users ("$nobody" is a group no one is in) and
// registration is off (max_users -1); door.ts refuses every method but GET and HEAD anyway.
const readOnly = { access: "$all", publish: "$nobody", unpublish: "$nobody", proxy };

const server = await runServer({
  self_path: path.dirname(settings.storage),
  storage: settings.storage,
  uplinks,
  packages: { "@*/*": readOnly, "**": readOnly },
  web: { enable: false },
  auth: { htpasswd: { file: path.join(settings.storage, "htpasswd"), max_users: -1 } },
  publish: { allow_offline: false },
  max_body_size: "64kb",
  log: { type: "stdout", format: "json", level: "warn" },
  server: { keepAliveTimeout: 60 },
} as never);

rmSync(settings.socket, { force: true });
server.listen(settings.socket, () => {
  chmodSync(settings.socket, 0o600);
  process.stdout.write("ready\n");
});
