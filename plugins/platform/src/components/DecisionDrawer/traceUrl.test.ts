import { traceUrl } from './traceUrl';

const id = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('traceUrl', () => {
  it('puts the trace id into the template', () => {
    expect(traceUrl('https://jaeger.example/trace/{traceId}', id)).toBe(
      `https://jaeger.example/trace/${id}`,
    );
    expect(
      traceUrl(
        'https://grafana.example/explore?trace={traceId}&x={traceId}',
        id,
      ),
    ).toBe(`https://grafana.example/explore?trace=${id}&x=${id}`);
  });

  it('makes no link without a usable template or trace id', () => {
    expect(traceUrl(undefined, id)).toBeUndefined();
    expect(traceUrl('https://jaeger.example/trace/{traceId}', undefined)).toBe(
      undefined,
    );
    // eslint-disable-next-line no-script-url -- the hostile value under test
    expect(traceUrl('javascript:alert(1)//{traceId}', id)).toBeUndefined();
    expect(traceUrl('https://jaeger.example/search', id)).toBeUndefined();
    expect(
      traceUrl('https://jaeger.example/trace/{traceId}', '"><script>'),
    ).toBeUndefined();
  });
});
