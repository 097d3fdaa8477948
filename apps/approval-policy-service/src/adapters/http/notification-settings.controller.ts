import { Body, Controller, Get, Inject, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, hasRole, type Principal } from '@kairos/auth';
import { ProblemError } from '@kairos/http';
import type { NotificationContact } from '../../domain/notification-settings';
import { EditNotificationSettings } from '../../use-cases/edit-notification-settings/edit-notification-settings';
import { FindNotifierContacts } from '../../use-cases/find-notifier-contacts/find-notifier-contacts';
import { NotificationSettingsDto } from './notification-settings.dto';
import { NotificationContactDto, NotificationContactListDto } from './notification-settings.responses';
import { assertNotifier, NOTIFIER_SUBJECTS } from './notifier-access';
import { ID_PATTERN } from './resource.dto';

const MAX_IDS = 200;

@ApiTags('notifications')
@ApiBearerAuth()
@Controller('v1')
export class NotificationSettingsController {
  constructor(
    private readonly settings: EditNotificationSettings,
    private readonly contactsOf: FindNotifierContacts,
    @Inject(NOTIFIER_SUBJECTS) private readonly notifiers: ReadonlySet<string>,
  ) {}

  @Get('identities/:id/notification-settings')
  @ApiOperation({ summary: 'How a person is told (Slack user, channels): the person themself or an admin' })
  @ApiOkResponse({ type: NotificationContactDto })
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<NotificationContact> {
    this.selfOrAdmin(id, principal);
    return this.settings.get(id);
  }

  @Put('identities/:id/notification-settings')
  @ApiOperation({ summary: 'Choose the channels (email, slack, both) and link a Slack user: the person themself or an admin' })
  @ApiOkResponse({ type: NotificationContactDto })
  async put(@Param('id') id: string, @Body() body: NotificationSettingsDto, @CurrentPrincipal() principal: Principal): Promise<NotificationContact> {
    this.selfOrAdmin(id, principal);
    return this.settings.put({
      identityId: id,
      ...(body.slackUserId !== undefined ? { slackUserId: body.slackUserId } : {}),
      ...(body.notify !== undefined ? { notify: body.notify } : {}),
      byAdmin: hasRole(principal, 'admin'),
    });
  }

  @Get('notifier/contacts')
  @ApiOperation({ summary: "The notifier's read of the directory: contacts by ids, by Slack user or by group (service token of the notifier only)" })
  @ApiOkResponse({ type: NotificationContactListDto })
  @ApiQuery({ name: 'ids', required: false, description: 'comma separated identity ids' })
  @ApiQuery({ name: 'slackUserId', required: false })
  @ApiQuery({ name: 'group', required: false })
  async contacts(
    @CurrentPrincipal() principal: Principal,
    @Query('ids') ids?: unknown,
    @Query('slackUserId') slackUserId?: unknown,
    @Query('group') group?: unknown,
  ): Promise<{ items: NotificationContact[] }> {
    assertNotifier(principal, this.notifiers);
    const given = [ids, slackUserId, group].filter((value) => value !== undefined);
    if (given.length !== 1 || given.some((value) => typeof value !== 'string')) {
      throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', 'give exactly one of ids, slackUserId or group, once');
    }
    if (typeof ids === 'string') {
      const list = [...new Set(ids.split(',').filter((id) => id !== ''))];
      if (list.length === 0 || list.length > MAX_IDS || !list.every((id) => ID_PATTERN.test(id))) {
        throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', `ids: 1 to ${MAX_IDS} identity ids`);
      }
      return { items: await this.contactsOf.execute({ ids: list }) };
    }
    if (typeof slackUserId === 'string') {
      if (!/^[UW][A-Z0-9]{2,20}$/.test(slackUserId)) throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', 'slackUserId: a Slack member id');
      return { items: await this.contactsOf.execute({ slackUserId }) };
    }
    if (!ID_PATTERN.test(group as string)) throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', 'group: a group id');
    return { items: await this.contactsOf.execute({ group: group as string }) };
  }

  private selfOrAdmin(id: string, principal: Principal): void {
    if (principal.id === id && principal.kind === 'person') return;
    if (hasRole(principal, 'admin')) return;
    throw new ProblemError(403, 'FORBIDDEN', 'Forbidden', "only the person themself or an admin sees or changes someone's notification settings");
  }
}
