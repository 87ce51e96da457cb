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
 * The most bytes `JSON.stringify` adds to one number when it writes the parsed value back: one
 * in exponent form comes back in full from 1e-6 up to 1e21 (`1e20` as 21 digits), else with a
 * `+` on a positive exponent; at most 25 characters (`-0.0000012345678901234567`), from at
 * least 3 (`1e5`). One written without an exponent never comes back longer: its shortest
 * round-trip digits are no more.
 */
const NUMBER_GROWTH = 25 - 3;

/**
 * The most tokens a request's prompt can come to under any tokenizer the profiles use, for
 * reservations (budgets and tokens per minute), where an estimate that errs low lets a tenant
 * overspend (a CJK, emoji or control-character prompt costs several times its characters / 4).
 *
 * Byte-level BPE (OpenAI's, Llama 3's, Anthropic's) and SentencePiece with byte fallback make
 * at most one token of each UTF-8 byte they are given, and the upstream is given the body
 * parsed and written back with `JSON.stringify`, whatever field the text is in (messages,
 * names, tool calls, tool definitions, response schemas), plus JSON punctuation that more than
 * pays for a chat template's few tokens per message. Written back, a string is no longer than
 * in the body (it takes the shortest JSON form: escapes only where JSON needs them, and a lone
 * surrogate is a six-byte escape in the body too), but a number in exponent form can be: each
 * counts `NUMBER_GROWTH` more. So the body's length bounds the prompt, for the price of one UTF-8
 * check and one byte scan: no walk over the request, no tokenizer on the hot path. Two more
 * corrections keep it a bound: images count `IMAGE_TOKEN_BOUND` each instead of their URLs, and
 * a body that is not valid UTF-8 counts three per byte, since each bad byte becomes a
 * three-byte U+FFFD when the body is decoded and sent on.
 */
export function promptTokenBound(body: Buffer, images?: PromptImages): number {
  const bytes =
    (isUtf8(body) ? body.length : 3 * body.length) + reserializedGrowth(body);
  if (!images || images.count === 0) {
    return bytes;
  }
  return (
    Math.max(0, bytes - images.urlChars) + images.count * IMAGE_TOKEN_BOUND
  );
}

/**
 * The most bytes JSON text can grow by when parsed and written back with `JSON.stringify`:
 * `NUMBER_GROWTH` for each number in exponent form. Outside strings an `e` or `E` that follows
 * a digit is one (`true` and `false` have theirs after a letter); inside strings none is parsed,
 * and `indexOf` skips them (several times faster than a loop over their bytes).
 */
export function reserializedGrowth(json: Buffer): number {
  let numbers = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === 0x22) {
      // The closing quote: the first after an even run of backslashes.
      let end = json.indexOf(0x22, i + 1);
      while (end > 0) {
        let k = end - 1;
        while (json[k] === 0x5c) k--;
        if ((end - k) % 2 === 1) break;
        end = json.indexOf(0x22, end + 1);
      }
      if (end < 0) break;
      i = end;
    } else if ((c | 0x20) === 0x65) {
      const previous = json[i - 1];
      if (previous >= 0x30 && previous <= 0x39) numbers++;
    }
  }
  return numbers * NUMBER_GROWTH;
}
