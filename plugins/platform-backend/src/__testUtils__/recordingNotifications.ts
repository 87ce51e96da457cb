import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  NotificationSendOptions,
  notificationService,
} from '@backstage/plugin-notifications-node';

/**
 * A notification service that keeps what is sent instead of delivering it: each send is one
 * message (one bell toast, one signal), so tests count sends, however many replicas sent them.
 */
export function recordingNotifications() {
  const sent: NotificationSendOptions[] = [];
  const factory = createServiceFactory({
    service: notificationService,
    deps: {},
    factory: () => ({
      send: async (options: NotificationSendOptions) => void sent.push(options),
    }),
  });
  return { sent, factory };
}
