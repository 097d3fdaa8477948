import { messagingMigrations } from '@kairos/messaging';
import { ConnectorsFromTheList1733000000020 } from './adapters/postgres/migrations/connectors-from-the-list.migration';
import { EvaluationInputsVersion1733000000030 } from './adapters/postgres/migrations/evaluation-inputs-version.migration';
import {
  CreateCatalogueAndDirectory1733000000000,
  CreateReviewReadModel1733000000001,
  OneLifecycleModel1733000000002,
  ResourceRequestableBy1733000000003,
} from './adapters/postgres/migrations/first-tables.migrations';
import { NotificationSettings1733000000010 } from './adapters/postgres/migrations/notification-settings.migration';

/** The migrations of this service's schema, in the order they run (the messaging tables first). */
export const migrations: Function[] = [
  ...messagingMigrations,
  CreateCatalogueAndDirectory1733000000000,
  CreateReviewReadModel1733000000001,
  OneLifecycleModel1733000000002,
  ConnectorsFromTheList1733000000020,
  NotificationSettings1733000000010,
  ResourceRequestableBy1733000000003,
  EvaluationInputsVersion1733000000030,
];
