/**
 * Remembers values (request signatures, used tickets) until they expire, so
 * a captured request or ticket cannot be used twice inside its validity window.
 * Only values that already passed their MAC check are recorded, so only the
 * app can make the set grow.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  private nextSweep = 0;

  /** Records `value` until `expiresAt` (unix seconds). False when it was already seen. */
  firstUse(value: string, expiresAt: number, now: number = Math.floor(Date.now() / 1000)): boolean {
    this.sweep(now);
    const known = this.seen.get(value);
    if (known !== undefined && known >= now) return false;
    this.seen.set(value, expiresAt);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 5;
    for (const [value, expiresAt] of this.seen) {
      if (expiresAt < now) this.seen.delete(value);
    }
  }
}
