import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The Cells overview page. */
export const cellsRouteRef = createRouteRef();
