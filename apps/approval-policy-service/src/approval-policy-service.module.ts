import { Module, RequestMethod, type DynamicModule, type INestApplication, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { text } from 'express';
import { PolicyConfigError } from '@kairos/approval-policy-domain';
import { kafkaConnection, messageKeys } from '@kairos/config';
import { EventStoreModule } from '@kairos/event-store';
import { PlatformModule, ProblemError } from '@kairos/http';
import { KafkaModule, startKafkaInbox, type KafkaInboxTransport } from '@kairos/messaging';
import { PostgresModule } from '@kairos/persistence';
import { CLOCK, systemClock, type Clock } from '@kairos/clock';
import { AuthoritativeRequests } from './adapters/eventstore/authoritative-requests';
import { CatalogueController } from './adapters/http/catalogue.controller';
import { DirectoryImportController } from './adapters/http/directory-import.controller';
import { EvaluationController } from './adapters/http/evaluation.controller';
import { GroupsController } from './adapters/http/groups.controller';
import { IdentitiesController } from './adapters/http/identities.controller';
import { NotificationSettingsController } from './adapters/http/notification-settings.controller';
import { NOTIFIER_SUBJECTS } from './adapters/http/notifier-access';
import { OnBehalfReviewController } from './adapters/http/on-behalf-review.controller';
import { ResourcesController } from './adapters/http/resources.controller';
import { ReviewsController } from './adapters/http/reviews.controller';
import { TiersController } from './adapters/http/tiers.controller';
import { RequestEventsController } from './adapters/kafka/request-events.controller';
import { RequestEventsInbox } from './adapters/kafka/request-events.inbox';
import { CatalogueRepository } from './adapters/postgres/catalogue.repository';
import { DirectoryRepository } from './adapters/postgres/directory.repository';
import { EvaluationInputsSource } from './adapters/postgres/evaluation-inputs.source';
import { NotificationSettingsRepository } from './adapters/postgres/notification-settings.repository';
import { RequestViewsRepository } from './adapters/postgres/request-views.repository';
import { PostgresReviewBallot } from './adapters/postgres/review-ballot';
import type { ApprovalPolicyServiceConfig } from './config';
import { migrations } from './migrations';
import { EditGroups } from './use-cases/edit-groups/edit-groups';
import { EditIdentities } from './use-cases/edit-identities/edit-identities';
import { EditNotificationSettings } from './use-cases/edit-notification-settings/edit-notification-settings';
import { EditResources } from './use-cases/edit-resources/edit-resources';
import { EditTiers } from './use-cases/edit-tiers/edit-tiers';
import { EvaluateRequest } from './use-cases/evaluate-request/evaluate-request';
import { FindNotifierContacts } from './use-cases/find-notifier-contacts/find-notifier-contacts';
import { ImportDirectory } from './use-cases/import-directory/import-directory';
import { ListInbox } from './use-cases/list-inbox/list-inbox';
import { SearchCatalogue } from './use-cases/search-catalogue/search-catalogue';
import { SubmitReview } from './use-cases/submit-review/submit-review';

export interface ApprovalPolicyServiceOverrides {
  readonly clock?: Clock;
}

const policyConfigProblem = (error: unknown) =>
  error instanceof PolicyConfigError ? new ProblemError(500, error.code, 'Policy configuration error', error.message) : undefined;

@Module({})
export class ApprovalPolicyServiceModule implements NestModule {
  static forRoot(config: ApprovalPolicyServiceConfig, overrides: ApprovalPolicyServiceOverrides = {}): DynamicModule {
    return {
      module: ApprovalPolicyServiceModule,
      imports: [
        PlatformModule.forRoot({
          service: 'approval-policy-service',
          logLevel: config.LOG_LEVEL,
          auth: { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, jwksUrl: config.AUTH_JWKS_URL },
          problemMappers: [policyConfigProblem],
        }),
        PostgresModule.forRoot({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations }),
        // Read-only: reviews are judged against the request's own stream.
        EventStoreModule.forRoot({ connectionString: config.EVENTSTORE_URL }),
        KafkaModule.forRoot({ connection: kafkaConnection(config), clientId: 'approval-policy-service', keys: messageKeys(config) }),
      ],
      controllers: [
        CatalogueController,
        EvaluationController,
        ResourcesController,
        TiersController,
        IdentitiesController,
        GroupsController,
        DirectoryImportController,
        ReviewsController,
        NotificationSettingsController,
        OnBehalfReviewController,
        // Kafka: @EventPattern handlers, reached through the inbox transport (startInbox)
        RequestEventsController,
      ],
      providers: [
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        { provide: NOTIFIER_SUBJECTS, useValue: new Set(config.NOTIFIER_SUBJECTS) },
        // Adapters
        CatalogueRepository,
        DirectoryRepository,
        RequestViewsRepository,
        EvaluationInputsSource,
        NotificationSettingsRepository,
        PostgresReviewBallot,
        AuthoritativeRequests,
        RequestEventsInbox,
        // Use cases, over the adapters that implement their ports
        {
          provide: EvaluateRequest,
          useFactory: (inputs: EvaluationInputsSource, views: RequestViewsRepository, clock: Clock) => new EvaluateRequest(inputs, views, clock),
          inject: [EvaluationInputsSource, RequestViewsRepository, CLOCK],
        },
        {
          provide: SearchCatalogue,
          useFactory: (inputs: EvaluationInputsSource, views: RequestViewsRepository, clock: Clock) => new SearchCatalogue(inputs, views, clock),
          inject: [EvaluationInputsSource, RequestViewsRepository, CLOCK],
        },
        {
          provide: ListInbox,
          useFactory: (views: RequestViewsRepository, directory: DirectoryRepository, catalogue: CatalogueRepository, clock: Clock) =>
            new ListInbox(views, directory, catalogue, clock),
          inject: [RequestViewsRepository, DirectoryRepository, CatalogueRepository, CLOCK],
        },
        {
          provide: SubmitReview,
          useFactory: (ballot: PostgresReviewBallot, requests: AuthoritativeRequests, directory: DirectoryRepository, clock: Clock) =>
            new SubmitReview(ballot, requests, directory, clock),
          inject: [PostgresReviewBallot, AuthoritativeRequests, DirectoryRepository, CLOCK],
        },
        {
          provide: EditResources,
          useFactory: (catalogue: CatalogueRepository, directory: DirectoryRepository) => new EditResources(catalogue, directory),
          inject: [CatalogueRepository, DirectoryRepository],
        },
        { provide: EditTiers, useFactory: (catalogue: CatalogueRepository) => new EditTiers(catalogue), inject: [CatalogueRepository] },
        { provide: EditIdentities, useFactory: (directory: DirectoryRepository) => new EditIdentities(directory), inject: [DirectoryRepository] },
        { provide: EditGroups, useFactory: (directory: DirectoryRepository) => new EditGroups(directory), inject: [DirectoryRepository] },
        { provide: ImportDirectory, useFactory: (directory: DirectoryRepository) => new ImportDirectory(directory), inject: [DirectoryRepository] },
        {
          provide: EditNotificationSettings,
          useFactory: (settings: NotificationSettingsRepository) => new EditNotificationSettings(settings),
          inject: [NotificationSettingsRepository],
        },
        {
          provide: FindNotifierContacts,
          useFactory: (settings: NotificationSettingsRepository) => new FindNotifierContacts(settings),
          inject: [NotificationSettingsRepository],
        },
      ],
    };
  }

  /**
   * Starts the Kafka inbox of an app of this module: the consumer of the request stream, whose
   * messages reach `RequestEventsController`, and the outbox relay that sends reviews. The app is
   * initialised first (migrations, seeded tiers) if it was not yet. `app.close()` stops it.
   */
  static async startInbox(app: INestApplication): Promise<KafkaInboxTransport> {
    await app.init();
    return startKafkaInbox(app, app.get(RequestEventsInbox).runtime);
  }

  // JSON is parsed by the platform; a CSV directory export arrives as text.
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(text({ type: 'text/csv', limit: '5mb' })).forRoutes({ path: 'v1/directory/import', method: RequestMethod.POST });
  }
}
