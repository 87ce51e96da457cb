/**
 * Cues that a request needs reasoning rather than recall: code, maths, analysis, planning.
 * Each distinct cue found raises the score.
 */
const REASONING_CUES = [
  /```/,
  /\b(function|class|def|const|import|SELECT)\b/,
  /\b(debug|stack ?trace|exception|refactor|compile)\b/i,
  /\b(prove|derive|theorem|equation|integral|calculate)\b/i,
  /\b(step[- ]by[- ]step|reason|think through|trade-?offs?)\b/i,
  /\b(analy[sz]e|compare|evaluate|design|architect|plan)\b/i,
];

/** Only the start of the last user message is scanned, bounding the cost per request. */
const SCANNED_CHARS = 4000;

export interface ComplexityInput {
  promptChars: number;
  messageCount: number;
  toolCount: number;
  lastUserText: string;
}

/**
 * How demanding a request looks, in [0, 1]:
 * - 0.35 × prompt length, log-scaled (10 chars ≈ 0.2, 10k ≈ 0.8, 100k+ = 1);
 * - 0.15 × conversation depth (20+ messages = 1);
 * - 0.20 × tool use (any tools = 0.6, 5+ tools = 1);
 * - 0.30 × reasoning cues in the last user message (3+ distinct cues = 1).
 * The balanced policy weighs quality by this score and cost by its complement.
 */
export function complexityScore(input: ComplexityInput): number {
  const length = Math.min(1, Math.log10(1 + input.promptChars) / 5);
  const depth = Math.min(1, input.messageCount / 20);
  const tools =
    input.toolCount === 0 ? 0 : Math.min(1, 0.6 + input.toolCount * 0.08);
  const text =
    input.lastUserText.length > SCANNED_CHARS
      ? input.lastUserText.slice(0, SCANNED_CHARS)
      : input.lastUserText;
  let cues = 0;
  for (const cue of REASONING_CUES) {
    if (cue.test(text)) {
      cues += 1;
    }
  }
  const reasoning = Math.min(1, cues / 3);
  const score = 0.35 * length + 0.15 * depth + 0.2 * tools + 0.3 * reasoning;
  return Math.round(Math.min(1, Math.max(0, score)) * 1000) / 1000;
}
