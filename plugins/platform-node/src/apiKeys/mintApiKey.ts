import { createHash, randomBytes } from 'node:crypto';

/** A new API key, with what may be kept of it: its SHA-256 and a prefix for humans. */
export interface MintedApiKey {
  /** The secret: handed to its owner once (sealed for a reveal), never stored or logged. */
  apiKey: string;
  sha256: string;
  prefix: string;
}

/** Characters of a key shown to humans: `cpk_` and six random characters (36 bits). */
export const API_KEY_PREFIX_LENGTH = 10;

/** SHA-256 (hex) of a key: what gateways look keys up by, and all the platform keeps. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

/**
 * Makes a Cellport API key: `cpk_` and 24 random bytes (base64url). The one place keys are
 * made, by the scaffolder's key actions and the platform backend's rotation alike.
 */
export function mintApiKey(): MintedApiKey {
  const apiKey = `cpk_${randomBytes(24).toString('base64url')}`;
  return {
    apiKey,
    sha256: hashApiKey(apiKey),
    prefix: apiKey.slice(0, API_KEY_PREFIX_LENGTH),
  };
}
