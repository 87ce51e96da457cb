/**
 * Cellport's routing decision as a pure library: candidate filtering with reasons, scoring
 * and fallback order over the desired state and a request's routing features. No HTTP,
 * Redis or NATS: the gateway runs it on its hot path, the portal to replay stored decisions.
 *
 * @packageDocumentation
 */
export * from './CompiledState';
export * from './validateState';
export * from './steps';
export * from './UpstreamConditions';
export * from './StaticUpstreams';
export * from './cost';
export * from './complexityScore';
export * from './routeRefusal';
export * from './decideRoute';
export * from './routingFeatures';
