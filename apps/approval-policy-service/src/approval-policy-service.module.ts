import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { text } from 'express';
import { PolicyConfigError } from '@kairos/approval-policy-domain';
import { kafkaConnection, messageKeys } from '@kairos/config';
import { EventStoreModule } from '@kairos/event-store';
import { PlatformModule, ProblemError } from '@kairos/http';
import { KafkaModule } from '@kairos/messaging';
import { PostgresModule } from '@kairos/persistence';
import { CatalogueController } from './catalogue/catalogue.controller';
import { CatalogueSearchQuery } from './catalogue/catalogue-search';
import { CatalogueRepository } from './catalogue/catalogue.repository';
import { ResourcesController } from './catalogue/resources.controller';
import { TiersController } from './catalogue/tiers.controller';
import type { ApprovalPolicyServiceConfig } from './config';
import { DirectoryImportController } from './directory/directory-import.controller';
import { DirectoryRepository } from './directory/directory.repository';
import { GroupsController } from './directory/groups.controller';
import { IdentitiesController } from './directory/identities.controller';
import { EvaluateRequest } from './evaluation/evaluate-request';
import { EvaluationInputsSource } from './evaluation/evaluation-inputs';
import { EvaluationController } from './evaluation/evaluation.controller';
import { migrations } from './migrations';
import { AuthoritativeRequests } from './read-model/authoritative-requests';
import { RequestEventsConsumer } from './read-model/request-events.consumer';
import { RequestViewsRepository } from './read-model/request-views.repository';
import { NotificationSettingsController } from './notifications/notification-settings.controller';
import { NotificationSettingsRepository } from './notifications/notification-settings.repository';
import { NOTIFIER_SUBJECTS } from './notifications/notifier-access';
import { OnBehalfReviewController } from './notifications/on-behalf-review.controller';
import { InboxQuery } from './reviews/inbox-query';
import { ReviewsController } from './reviews/reviews.controller';
import { SubmitReview } from './reviews/submit-review';
import { CLOCK, systemClock, type Clock } from './shared/clock';

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
      ],
      providers: [
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        CatalogueRepository,
        DirectoryRepository,
        RequestViewsRepository,
        AuthoritativeRequests,
        RequestEventsConsumer,
        EvaluateRequest,
        EvaluationInputsSource,
        InboxQuery,
        SubmitReview,
        CatalogueSearchQuery,
        NotificationSettingsRepository,
        { provide: NOTIFIER_SUBJECTS, useValue: new Set(config.NOTIFIER_SUBJECTS) },
      ],
    };
  }

  // JSON is parsed by the platform; a CSV directory export arrives as text.
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(text({ type: 'text/csv', limit: '5mb' })).forRoutes({ path: 'v1/directory/import', method: RequestMethod.POST });
  }
}
