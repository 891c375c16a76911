import { AsyncLocalStorage } from "node:async_hooks";
import { subscribe } from "node:diagnostics_channel";

/**
 * The socket peer address of the request being handled.
 *
 * Next.js gives route handlers a Web `Request` and no socket: it only copies the peer address
 * into `x-forwarded-for` when the client sent none (`??=` in its base server), so that header
 * cannot tell a client's own words from the socket's. Node's http server announces every request
 * on the `http.server.request.start` diagnostics channel, with its socket, synchronously before the
 * server's `request` handler (Next's) runs. `trackPeerAddresses` (called once from
 * instrumentation.ts, in the process that owns the server) enters the peer address into an
 * AsyncLocalStorage there, so every continuation of that request's handling — the route handler
 * included — reads it back with `peerAddress()`. Nothing travels in a header, so a client cannot
 * write it.
 *
 * One holder per process (a global), because the instrumentation bundle and each route bundle
 * carry their own copy of this module.
 */

interface PeerHolder {
  storage: AsyncLocalStorage<string | undefined>;
  tracking: boolean;
}

const HOLDER = Symbol.for("autocrea.peerAddress");

function holder(): PeerHolder {
  const g = globalThis as typeof globalThis & { [HOLDER]?: PeerHolder };
  g[HOLDER] ??= { storage: new AsyncLocalStorage<string | undefined>(), tracking: false };
  return g[HOLDER];
}

/** Starts recording each incoming request's socket peer address (idempotent). */
export function trackPeerAddresses(): void {
  const h = holder();
  if (h.tracking) return;
  h.tracking = true;
  subscribe("http.server.request.start", (message) => {
    const { socket } = message as { socket?: { remoteAddress?: string } };
    // Entered for the rest of this request's handling: every async step started from here on
    // (Next's handler, the route) sees it; an earlier request's steps keep their own.
    h.storage.enterWith(socket?.remoteAddress);
  });
}

/** Whether `trackPeerAddresses` has run in this process. */
export function isTrackingPeerAddresses(): boolean {
  return holder().tracking;
}

/** The socket peer address of the request being handled; undefined outside one, or when not tracked. */
export function peerAddress(): string | undefined {
  return holder().storage.getStore();
}

/** Tests: runs `fn` as if the request it handles had come over a socket from `address`. */
export function withPeerAddress<T>(address: string | undefined, fn: () => T): T {
  return holder().storage.run(address, fn);
}
