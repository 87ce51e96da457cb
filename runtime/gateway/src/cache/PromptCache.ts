import { createHash } from 'node:crypto';
import type { TokenUsage } from '../providers/types';

export interface CachedAnswer {
  body: Buffer;
  usage: TokenUsage;
  modelProfile: string;
  provider: string;
}

/**
 * Exact-match prompt-response cache, off by default (seed 001). Keys are per tenant: the
 * SHA-256 of the tenant id and the request body bytes, so tenants never share answers. Only
 * tenants whose policy allows it use it, and only for non-streamed requests. Bounded LRU with
 * a time to live.
 */
export class PromptCache {
  private readonly entries = new Map<
    string,
    { answer: CachedAnswer; expiresAtMs: number }
  >();

  constructor(
    private readonly options: { ttlSeconds: number; maxEntries: number },
    private readonly now: () => number = Date.now,
  ) {}

  static key(tenant: string, stateVersion: string, body: Buffer): string {
    return createHash('sha256')
      .update(tenant)
      .update('\0')
      .update(stateVersion)
      .update('\0')
      .update(body)
      .digest('hex');
  }

  get(key: string): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      return undefined;
    }
    if (entry.expiresAtMs <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-insert to mark it most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.answer;
  }

  set(key: string, answer: CachedAnswer): void {
    this.entries.delete(key);
    this.entries.set(key, {
      answer,
      expiresAtMs: this.now() + this.options.ttlSeconds * 1000,
    });
    while (this.entries.size > this.options.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
