import { Entity } from '@backstage/catalog-model';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import {
  catalogApiRef,
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { useLocation } from 'react-router-dom';
import { PlatformApi, platformApiRef } from '../api';

/** Shows the current query string, so tests can see what a view put into the URL. */
function LocationProbe() {
  const location = useLocation();
  return <output aria-label="location">{location.search}</output>;
}

/**
 * Renders a view in a test app against a mocked platform API, optionally on an entity's page
 * and at a URL (`?range=7d&outcome=error`).
 */
export async function renderWithPlatform(
  element: JSX.Element,
  options: {
    api: PlatformApi;
    entity?: Entity;
    catalogEntities?: Entity[];
    search?: string;
  },
) {
  const content = options.entity ? (
    <EntityProvider entity={options.entity}>{element}</EntityProvider>
  ) : (
    element
  );
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [platformApiRef, options.api],
        [catalogApiRef, catalogApiMock({ entities: options.catalogEntities })],
      ]}
    >
      {content}
      <LocationProbe />
    </TestApiProvider>,
    {
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      initialRouteEntries: [`/${options.search ?? ''}`],
    },
  );
}

/** A promise that never settles: the view stays in its loading state. */
export const pending = <T,>() => new Promise<T>(() => {});

/** An entity of a platform kind with the given spec. */
export function platformEntity(
  kind: string,
  name: string,
  spec: object,
  relations: Entity['relations'] = [],
): Entity {
  return {
    apiVersion: 'cellport.dev/v1alpha1',
    kind,
    metadata: { name, namespace: 'default' },
    spec: { owner: 'group:platform-sre', ...spec },
    relations,
  };
}
