import { isUtf8 } from 'node:buffer';
import { DEFAULT_IMAGE_TOKENS } from '@cellport/router';

/**
 * Tokens reserved for each image in a prompt, in place of its URL's bytes: an image's tokens do
 * not follow its bytes (a short link, or a data URL far larger than its tokens). The router's
 * allowance; a profile whose images count more adds the difference when routed.
 */
export const IMAGE_TOKEN_BOUND = DEFAULT_IMAGE_TOKENS;

/** What a prompt's images take up in its body. */
export interface PromptImages {
  count: number;
  /** Characters of their URLs (data URLs included): never more than their bytes in the body. */
  urlChars: number;
}

/**
 * The most tokens a request's prompt can come to under any tokenizer the profiles use, for
 * reservations (budgets and tokens per minute), where an estimate that errs low lets a tenant
 * overspend (a CJK, emoji or control-character prompt costs several times its characters / 4).
 *
 * Byte-level BPE (OpenAI's, Llama 3's, Anthropic's) and SentencePiece with byte fallback make
 * at most one token of each UTF-8 byte they are given, and the body holds every byte the
 * upstream tokenizes, whatever field it is in (messages, names, tool calls, tool definitions,
 * response schemas), at least as long (JSON escapes only lengthen), plus JSON punctuation that
 * more than pays for a chat template's few tokens per message. So the body's length bounds the
 * prompt, for the price of one UTF-8 check: no walk over the request, no tokenizer on the hot
 * path. Two corrections keep it a bound: images count `IMAGE_TOKEN_BOUND` each instead of their
 * URLs, and a body that is not valid UTF-8 counts three per byte, since each bad byte becomes a
 * three-byte U+FFFD when the body is decoded and sent on.
 */
export function promptTokenBound(body: Buffer, images?: PromptImages): number {
  const bytes = isUtf8(body) ? body.length : 3 * body.length;
  if (!images || images.count === 0) {
    return bytes;
  }
  return (
    Math.max(0, bytes - images.urlChars) + images.count * IMAGE_TOKEN_BOUND
  );
}
