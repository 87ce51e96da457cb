import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { DeployCard } from './DeployCard';

/** The deploy card of the entity whose page this is (a Cell or an InferenceDeployment). */
export function EntityDeployCard() {
  const { entity } = useEntity();
  return <DeployCard entityRef={stringifyEntityRef(entity)} />;
}
