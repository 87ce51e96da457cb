// The cost rules are the router's (a replay prices routes the same way): one definition.
export { costUsd, maxOutputTokens, maxRequestCostUsd } from '@cellport/router';
