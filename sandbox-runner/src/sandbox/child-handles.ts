import type { ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";

/**
 * An idle pre-started sandbox process must not keep the runner's event loop alive (tests, shutdown);
 * once a run takes it, it must.
 */
export function setHandlesReferenced(
  child: ChildProcess,
  referenced: boolean,
): void {
  if (referenced) child.ref();
  else child.unref();
  for (const stream of child.stdio) {
    const handle = stream as (Readable | Writable) & {
      ref?: () => void;
      unref?: () => void;
    };
    if (referenced) handle?.ref?.();
    else handle?.unref?.();
  }
}
