import {
  fail,
  isObject,
  onlyFields,
  optionalOneOf,
  present,
} from '../fieldChecks';

/**
 * Anthropic's limit on cache breakpoints in one request: tools, system and messages together,
 * the top-level `cache_control` (automatic caching) taking one as well.
 */
const MAX_BREAKPOINTS = 4;

/**
 * The `cache_control` fields of one Messages request, each checked as Anthropic checks it and
 * counted: no chat upstream takes them, so none is sent, but a request Anthropic refuses must
 * not pass as if its caching had taken effect.
 */
export class CacheBreakpoints {
  private count = 0;

  /** The `cache_control` at `param` (`tools.0.cache_control`); the one past the limit is refused. */
  check(value: unknown, param: string): void {
    if (!present(value)) return;
    if (!isObject(value)) fail(param, 'must be an object');
    onlyFields(value, param, ['type', 'ttl']);
    if (value.type !== 'ephemeral') fail(`${param}.type`, 'must be ephemeral');
    optionalOneOf(value.ttl, `${param}.ttl`, ['5m', '1h']);
    this.count += 1;
    if (this.count > MAX_BREAKPOINTS) {
      fail(
        param,
        `is cache breakpoint ${this.count}: a request takes at most ${MAX_BREAKPOINTS} (tools, system and messages together, a top-level cache_control included)`,
      );
    }
  }
}
