// Prometheus metrics for the portal, following Backstage's "Setup OpenTelemetry" guide: loaded
// with `node --require` before the backend, so that the HTTP instrumentation patches `http`
// before anything uses it. Backstage's core and plugins (the catalog, the scaffolder, ...)
// record their metrics through @opentelemetry/api; they are exported once a MeterProvider is
// registered here.
//
//   CELLPORT_METRICS_PORT  port of the /metrics endpoint (default 9464); `off` turns it off
//   CELLPORT_METRICS_HOST  address it listens on (default localhost; containers set 0.0.0.0)
'use strict';

const { isMainThread } = require('node:worker_threads');

const port = process.env.CELLPORT_METRICS_PORT || '9464';

// Worker threads inherit `--require`; only the main thread serves the metrics port.
if (isMainThread && port !== 'off') {
  const { NodeSDK } = require('@opentelemetry/sdk-node');
  const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');
  const {
    HttpInstrumentation,
  } = require('@opentelemetry/instrumentation-http');

  const metricsPort = Number(port);
  if (!Number.isInteger(metricsPort)) {
    throw new Error(
      `CELLPORT_METRICS_PORT must be a port number or "off", not "${port}"`,
    );
  }
  const exporter = new PrometheusExporter(
    {
      host: process.env.CELLPORT_METRICS_HOST || 'localhost',
      port: metricsPort,
    },
    // The exporter only reports a failed listen through OpenTelemetry's (silent) diag logger.
    error => {
      if (error) {
        console.error(
          `Prometheus metrics are not served on port ${port}: ${error}`,
        );
      }
    },
  );

  new NodeSDK({
    // No process, host or command-line labels: the scrape adds the pod's, and command lines
    // do not belong in a time series.
    autoDetectResources: false,
    serviceName: 'cellport-portal',
    metricReaders: [exporter],
    // Metrics only: no collector receives traces or logs, and the SDK's default OTLP
    // exporters would keep sending them to localhost:4318.
    spanProcessors: [],
    logRecordProcessors: [],
    instrumentations: [
      // Its metrics are labelled with method, status code, scheme and protocol version,
      // never headers or URLs. Prometheus' own scrapes of the metrics port are left out.
      new HttpInstrumentation({
        ignoreIncomingRequestHook: request =>
          request.socket.localPort === metricsPort,
      }),
    ],
  }).start();
}
