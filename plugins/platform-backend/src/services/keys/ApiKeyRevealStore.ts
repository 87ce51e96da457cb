import { Config } from '@backstage/config';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import type {
  RevealedApiKey,
  SealApiKeyRequest,
} from '@cellport/plugin-platform-common';
import { Knex } from 'knex';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { readPlatformSettings } from '../../config/platformSettings';
import { Clock } from '@cellport/plugin-platform-node';

const TABLE = 'platform_api_key_reveals';
const CIPHER = 'aes-256-gcm';

/** What the scaffolder seals (`POST /api-keys/reveals`), and what one reveal gives back. */
export type SealedApiKey = SealApiKeyRequest;

/** Who asks for a reveal: a user entity ref, and whether they may manage runtimes. */
export interface RevealRequester {
  userRef?: string;
  mayManageRuntime: boolean;
}

interface RevealRow {
  id: string;
  tenant: string;
  agent: string | null;
  key_prefix: string;
  for_user: string | null;
  sealed: string;
  expires_at: number | string;
}

/**
 * Hands a new API key to the person who created it exactly once. The scaffolder seals the key
 * here and prints only a reveal token; the first reveal returns the key and deletes the row.
 *
 * The key is encrypted with a key derived from the token, and only the token's SHA-256 is
 * stored, so neither the database nor the scaffolder's task log alone can recover it — and
 * once revealed or expired, nothing can.
 */
export class ApiKeyRevealStore {
  /** `platform.apiKeys.revealHours`: how long a sealed key waits to be revealed. */
  static fromConfig(config: Config, db: Knex, clock: Clock): ApiKeyRevealStore {
    const { revealHours } = readPlatformSettings(config).apiKeys;
    return new ApiKeyRevealStore(db, clock, revealHours * 3600_000);
  }

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  async seal(
    key: SealedApiKey,
  ): Promise<{ token: string; expiresAt: string; prefix: string }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const expiresAt = now + this.ttlMs;
    const prefix = key.apiKey.slice(0, 10);
    await this.db(TABLE).insert({
      id: tokenId(token),
      tenant: key.tenant,
      agent: key.agent ?? null,
      key_prefix: prefix,
      for_user: key.forUser ?? null,
      sealed: encrypt(key.apiKey, token),
      created_at: now,
      expires_at: expiresAt,
    });
    return { token, expiresAt: new Date(expiresAt).toISOString(), prefix };
  }

  /**
   * The key, once. A second reveal, an expired token or an unknown one all read the same, so
   * a token gives away nothing about whether it ever existed.
   */
  async reveal(
    token: string,
    requester: RevealRequester,
  ): Promise<RevealedApiKey> {
    const gone = new NotFoundError(
      'This API key was already revealed, or its reveal link expired. Create a new key.',
    );
    const id = tokenId(token);
    const row: RevealRow | undefined = await this.db(TABLE)
      .where({ id })
      .first();
    if (!row || Number(row.expires_at) <= this.clock.now()) throw gone;
    const allowed = row.for_user
      ? row.for_user === requester.userRef
      : requester.mayManageRuntime;
    if (!allowed) {
      throw new NotAllowedError(
        'Only the person who created this API key can reveal it',
      );
    }
    // Whoever deletes the row reveals the key: two concurrent reveals cannot both succeed.
    const deleted = await this.db(TABLE).where({ id }).delete();
    if (deleted !== 1) throw gone;
    return {
      apiKey: decrypt(row.sealed, token),
      tenant: row.tenant,
      ...(row.agent ? { agent: row.agent } : {}),
      prefix: row.key_prefix,
    };
  }

  /** Withdraws a sealed key before anyone saw it (its key was never put in use). */
  async discard(token: string): Promise<void> {
    await this.db(TABLE)
      .where({ id: tokenId(token) })
      .delete();
  }

  /** Deletes what expired unrevealed; the count. */
  async purgeExpired(): Promise<number> {
    return this.db(TABLE).where('expires_at', '<=', this.clock.now()).delete();
  }
}

function tokenId(token: string): string {
  return createHash('sha256').update(`reveal-id:${token}`).digest('hex');
}

function encryptionKey(token: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', token, '', 'cellport api key reveal', 32),
  );
}

function encrypt(plaintext: string, token: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv(CIPHER, encryptionKey(token), iv);
  const body = Buffer.concat([
    cipher.update(plaintext, 'utf8'),
    cipher.final(),
  ]);
  return [iv, cipher.getAuthTag(), body]
    .map(part => part.toString('base64url'))
    .join('.');
}

function decrypt(sealed: string, token: string): string {
  const [iv, tag, body] = sealed
    .split('.')
    .map(part => Buffer.from(part, 'base64url'));
  const decipher = createDecipheriv(CIPHER, encryptionKey(token), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString(
    'utf8',
  );
}
