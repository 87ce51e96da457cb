/** What a database says, in any of the shapes it could reach an answer's body. */
const DATABASE_WORDS = [
  'select',
  'insert',
  'ECONN',
  'errno',
  'syscall',
  '127\\.0\\.0\\.1',
  'SQLITE',
  'no such table',
  'relation',
  'stack',
];

/**
 * What a caller reads of a failure: its status, `Retry-After`, error name and message, and
 * whether the body leaks the database's words or the names of `tables`.
 */
export function failureAnswerOf(
  answer: {
    status: number;
    headers: Record<string, string | undefined>;
    body: { error?: { name?: string; message?: string } };
    text: string;
  },
  tables: string[],
) {
  const words = new RegExp([...DATABASE_WORDS, ...tables].join('|'), 'i');
  return {
    status: answer.status,
    retryAfter: answer.headers['retry-after'],
    name: answer.body.error?.name,
    message: answer.body.error?.message,
    leaks: words.test(answer.text),
  };
}
