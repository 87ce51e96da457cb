type Labels = Record<string, string> | undefined;

/**
 * A Kubernetes label selector as a predicate: `a=b`, `a==b`, `a!=b` (true when the label is
 * absent too), `a in (x,y)`, `a notin (x,y)`, `a` and `!a`, joined by commas. Throws on
 * anything else, as the API server answers 400.
 */
export function parseLabelSelector(
  selector: string,
): (labels: Labels) => boolean {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += char;
  }
  terms.push(current);
  const tests = terms
    .map(term => term.trim())
    .filter(term => term !== '')
    .map(term => {
      let match = /^!\s*([\w./-]+)$/.exec(term);
      if (match) {
        const key = match[1];
        return (labels: Labels) => labels?.[key] === undefined;
      }
      match = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
      if (match) {
        const [, key, op, value] = match;
        return op === '!='
          ? (labels: Labels) => labels?.[key] !== value
          : (labels: Labels) => labels?.[key] === value;
      }
      match = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
      if (match) {
        const [, key, op, list] = match;
        const values = list.split(',').map(v => v.trim());
        return op === 'in'
          ? (labels: Labels) => values.includes(labels?.[key] as string)
          : (labels: Labels) => !values.includes(labels?.[key] as string);
      }
      match = /^([\w./-]+)$/.exec(term);
      if (match) {
        const key = match[1];
        return (labels: Labels) => labels?.[key] !== undefined;
      }
      throw new Error(`unable to parse requirement: "${term}"`);
    });
  return labels => tests.every(test => test(labels));
}
