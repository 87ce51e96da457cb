import { stringify } from 'yaml';
import { Manifest } from './types';

/** Manifests as one multi-document YAML file, in the order given. */
export function manifestsToYaml(manifests: Manifest[]): string {
  return manifests
    .map(m => stringify(m, { lineWidth: 0, sortMapEntries: false }))
    .join('---\n');
}
