import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import platformPlugin from '@cellport/plugin-platform';
import { navModule } from './modules/nav';
import { scaffolderChecksModule } from './modules/scaffolderChecks';
import { scaffolderFieldsModule } from './modules/scaffolderFields';

// The other plugins are discovered from this package's dependencies (app.packages: all).
export default createApp({
  features: [
    catalogPlugin,
    platformPlugin,
    navModule,
    scaffolderFieldsModule,
    scaffolderChecksModule,
  ],
});
