import { AnswerFacts, answerFacts, chunkFacts } from './answerFacts';

const chatChunk = (choices: object[]) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    model: 'm',
    choices,
  })}\n\n`;

describe('chunkFacts', () => {
  it('keeps one finish reason a choice however often a stream repeats it, as its JSON answer has', () => {
    const facts: AnswerFacts = {};
    for (let i = 0; i < 1000; i++) {
      chunkFacts(
        chatChunk([
          { index: 0, delta: { content: 'x' }, finish_reason: 'stop' },
        ]),
        facts,
      );
    }
    expect(facts.finishReasons).toEqual(['stop']);
    expect(
      answerFacts(
        Buffer.from(
          JSON.stringify({
            id: 'chatcmpl-1',
            model: 'm',
            choices: [{ index: 0, finish_reason: 'stop' }],
          }),
        ),
      ).finishReasons,
    ).toEqual(['stop']);
  });

  it('gives each choice of a stream its own reason, and Messages and Responses streams theirs', () => {
    const chat: AnswerFacts = {};
    chunkFacts(
      chatChunk([
        { index: 1, delta: {}, finish_reason: 'length' },
        { index: 0, delta: {}, finish_reason: 'stop' },
      ]),
      chat,
    );
    expect(chat.finishReasons).toEqual(['stop', 'length']);

    const messages: AnswerFacts = {};
    chunkFacts(
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":16}}\n\n',
      messages,
    );
    expect(messages.finishReasons).toEqual(['max_tokens']);

    const responses: AnswerFacts = {};
    chunkFacts(
      'event: response.incomplete\ndata: {"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}}\n\n',
      responses,
    );
    expect(responses.finishReasons).toEqual(['max_output_tokens']);
  });

  it('reads a stream written with spaces, as Python and LiteLLM write JSON', () => {
    const facts: AnswerFacts = {};
    chunkFacts(
      'data: {"id": "chatcmpl-9", "model": "m-1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n',
      facts,
    );
    expect(facts).toMatchObject({
      responseId: 'chatcmpl-9',
      responseModel: 'm-1',
      finishReasons: ['stop'],
    });
  });
});
