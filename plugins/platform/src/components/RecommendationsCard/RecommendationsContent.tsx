import { useEntity } from '@backstage/plugin-catalog-react';
import { RecommendationsCard } from './RecommendationsCard';

/** The Recommendations tab: a Cell's or a Tenant's card, scoped to the entity. */
export function RecommendationsContent() {
  const { entity } = useEntity();
  const name = entity.metadata.name;
  return (
    <RecommendationsCard
      scope={
        entity.kind.toLocaleLowerCase('en-US') === 'cell'
          ? { cell: name }
          : { tenant: name }
      }
    />
  );
}
