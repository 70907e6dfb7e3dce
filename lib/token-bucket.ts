/** A token bucket: `perSecond` tokens a second, at most `burst` banked, full at the start. */
export class TokenBucket {
  #tokens: number;
  #last = performance.now();

  constructor(
    readonly perSecond: number,
    readonly burst: number,
  ) {
    this.#tokens = burst;
  }

  #refill(): void {
    const now = performance.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
  }

  /** Takes a token if one is banked; answers at once. */
  take(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** How long until a token is banked. */
  msUntilToken(): number {
    this.#refill();
    return Math.max(0, ((1 - this.#tokens) / this.perSecond) * 1000);
  }
}
