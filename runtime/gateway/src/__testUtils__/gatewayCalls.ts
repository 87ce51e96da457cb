import { ADMIN_TOKEN, postChat } from './fixtures';

/** PUTs `state` to a gateway's control API as the reconciler does, with the admin token. */
export function pushState(url: string, state: unknown): Promise<Response> {
  return fetch(`${url}/control/state`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(state),
  });
}

/**
 * What a gateway's /metrics says is left of `tenant`'s monthly budget
 * (`cellport_gateway_budget_remaining_usd`), or undefined when it charts none.
 */
export async function budgetRemaining(
  url: string,
  tenant: string,
): Promise<number | undefined> {
  const series = `cellport_gateway_budget_remaining_usd{tenant="${tenant}"} `;
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find(l => l.startsWith(series));
  return line === undefined ? undefined : Number(line.slice(series.length));
}

/**
 * A request as `key`'s caller, chat completions unless `path` says otherwise, read to its
 * end: its status, whether the prompt cache answered it (`x-cellport-cache`) and its body.
 */
export async function askCached(
  url: string,
  key: string,
  body: Record<string, unknown>,
  path?: string,
): Promise<{ status: number; cache: string | null; text: string }> {
  const response = await postChat(url, body, { key, path });
  return {
    status: response.status,
    cache: response.headers.get('x-cellport-cache'),
    text: await response.text(),
  };
}
