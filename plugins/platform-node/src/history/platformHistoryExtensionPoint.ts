import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { GpuType, PlatformEvent } from '@cellport/plugin-platform-common';
import { PlatformEntities } from '../catalog/platformEntities';

/** One reading of an InferenceDeployment's pods on its cluster. */
export interface GpuReplicaSample {
  deployment: string;
  cell: string;
  gpuType: GpuType;
  replicas: number;
  gpus: number;
  at: number;
}

/**
 * What the platform plugin lets a history source do: read the catalog's platform entities
 * and store history beside live traffic. Events stored here are flagged as demo history, so
 * they stay apart from what the gateways reported.
 */
export interface PlatformHistoryConnection {
  /** The catalog's platform entities, read now. */
  entities(): Promise<PlatformEntities>;
  /** Stores events through the ingest path, idempotent on event id. */
  storeDemoEvents(
    events: PlatformEvent[],
  ): Promise<{ stored: number; duplicates: number }>;
  /** Whether any demo history is stored; live traffic does not count. */
  hasDemoEvents(): Promise<boolean>;
  /** Records GPU pods as the sampler records what it sees on the clusters. */
  recordGpuSamples(samples: GpuReplicaSample[]): Promise<void>;
  /** How long one sample stands for: samples further apart leave time unobserved. */
  readonly gpuSampleMaxAgeMs: number;
}

/** Something that writes history into the platform: the development backend's demo. */
export interface PlatformHistorySource {
  /** Called once, when the platform plugin has started its stores. */
  connect(connection: PlatformHistoryConnection): Promise<void>;
}

export interface PlatformHistoryExtensionPoint {
  addHistorySource(source: PlatformHistorySource): void;
}

/**
 * Lets a backend module write history into the platform plugin's stores, as the catalog's
 * entity providers write entities: the production plugin has no demo code, and the module
 * that has it is registered only by the development backend.
 */
export const platformHistoryExtensionPoint =
  createExtensionPoint<PlatformHistoryExtensionPoint>({
    id: 'platform.history',
  });
