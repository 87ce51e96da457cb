import { createHash } from 'node:crypto';
import type { TokenUsage } from '../providers/types';

export interface CachedAnswer {
  body: Buffer;
  usage: TokenUsage;
  modelProfile: string;
  provider: string;
}

/**
 * What an entry costs beyond its answer's bytes: the 64-character key, the usage and profile
 * fields and the Map slot. A rough figure; it keeps many tiny answers from passing the cap.
 */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * The bytes in memory of their own: an answer read from a socket is a view into the read's
 * whole chunk (headers and all), or into a pool slab shared with other small buffers, and a
 * cache entry would keep that alive beyond the bytes it counts.
 */
function ownMemory(bytes: Buffer): Buffer {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) {
    return bytes;
  }
  const own = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(own);
  return own;
}

/**
 * Exact-match prompt-response cache, off by default (seed 001). Keys are per tenant: the
 * SHA-256 of the tenant id and the request body bytes, so tenants never share answers. Only
 * tenants whose policy allows it use it, and only for non-streamed requests. An LRU with a
 * time to live, capped by the bytes it holds (answers of any size, so a count would not bound
 * memory); an answer larger than an eighth of the cap is not kept, so one answer cannot empty
 * the cache.
 */
export class PromptCache {
  private readonly entries = new Map<
    string,
    { answer: CachedAnswer; expiresAtMs: number; bytes: number }
  >();
  private heldBytes = 0;

  constructor(
    private readonly options: { ttlSeconds: number; maxBytes: number },
    private readonly now: () => number = Date.now,
  ) {}

  static key(
    tenant: string,
    stateVersion: string,
    api: string,
    body: Buffer,
  ): string {
    return createHash('sha256')
      .update(tenant)
      .update('\0')
      .update(stateVersion)
      .update('\0')
      .update(api)
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
      this.remove(key);
      return undefined;
    }
    // Re-insert to mark it most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.answer;
  }

  set(key: string, answer: CachedAnswer): void {
    const bytes =
      answer.body.length +
      answer.modelProfile.length +
      answer.provider.length +
      ENTRY_OVERHEAD_BYTES;
    this.remove(key);
    if (bytes > this.options.maxBytes / 8) {
      return;
    }
    this.entries.set(key, {
      answer: { ...answer, body: ownMemory(answer.body) },
      expiresAtMs: this.now() + this.options.ttlSeconds * 1000,
      bytes,
    });
    this.heldBytes += bytes;
    while (this.heldBytes > this.options.maxBytes) {
      this.remove(this.entries.keys().next().value as string);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes held, as counted against `maxBytes`. */
  get bytes(): number {
    return this.heldBytes;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.heldBytes -= entry.bytes;
    }
  }
}
