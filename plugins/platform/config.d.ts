export interface Config {
  /** Cellport's portal pages (plugins/platform). */
  platform?: {
    /**
     * Where a routing decision's "Open trace" link goes: a URL with `{traceId}` in it,
     * e.g. `https://jaeger.example/trace/{traceId}`. Without it the drawer shows the trace id
     * only.
     * @visibility frontend
     */
    traceViewerUrl?: string;
  };
}
