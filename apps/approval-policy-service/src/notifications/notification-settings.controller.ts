import { Body, Controller, Get, Inject, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, hasRole, type Principal } from '@kairos/auth';
import { ProblemError } from '@kairos/http';
import { ID_PATTERN } from '../catalogue/resource.dto';
import { NotificationSettingsDto } from './notification-settings.dto';
import { NotificationContactDto, NotificationContactListDto } from './notification-settings.responses';
import { NotificationSettingsRepository, SlackUserTakenError, type NotificationContact } from './notification-settings.repository';
import { assertNotifier, NOTIFIER_SUBJECTS } from './notifier-access';

const notFound = (id: string) => new ProblemError(404, 'IDENTITY_NOT_FOUND', 'Not Found', `no identity ${id}`);
const MAX_IDS = 200;

@ApiTags('notifications')
@ApiBearerAuth()
@Controller('v1')
export class NotificationSettingsController {
  constructor(
    private readonly settings: NotificationSettingsRepository,
    @Inject(NOTIFIER_SUBJECTS) private readonly notifiers: ReadonlySet<string>,
  ) {}

  @Get('identities/:id/notification-settings')
  @ApiOperation({ summary: 'How a person is told (Slack user, channels): the person themself or an admin' })
  @ApiOkResponse({ type: NotificationContactDto })
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<NotificationContact> {
    this.selfOrAdmin(id, principal);
    const [contact] = await this.settings.byIds([id]);
    if (!contact) throw notFound(id);
    return contact;
  }

  @Put('identities/:id/notification-settings')
  @ApiOperation({ summary: 'Choose the channels (email, slack, both) and link a Slack user: the person themself or an admin' })
  @ApiOkResponse({ type: NotificationContactDto })
  async put(@Param('id') id: string, @Body() body: NotificationSettingsDto, @CurrentPrincipal() principal: Principal): Promise<NotificationContact> {
    this.selfOrAdmin(id, principal);
    // Linking a Slack user decides whose review a Slack click becomes: only an admin links one.
    if (body.slackUserId !== undefined && !hasRole(principal, 'admin')) {
      const [current] = await this.settings.byIds([id]);
      if (current?.slackUserId !== body.slackUserId) {
        throw new ProblemError(403, 'FORBIDDEN', 'Forbidden', 'only an admin links a Slack user to an identity');
      }
    }
    try {
      if (!(await this.settings.put(id, { ...(body.slackUserId ? { slackUserId: body.slackUserId } : {}), ...(body.notify ? { notify: body.notify } : {}) }))) {
        throw notFound(id);
      }
    } catch (error) {
      if (error instanceof SlackUserTakenError) throw new ProblemError(409, 'SLACK_USER_TAKEN', 'Conflict', error.message);
      throw error;
    }
    return (await this.settings.byIds([id]))[0] as NotificationContact;
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
      return { items: await this.settings.byIds(list) };
    }
    if (typeof slackUserId === 'string') {
      if (!/^[UW][A-Z0-9]{2,20}$/.test(slackUserId)) throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', 'slackUserId: a Slack member id');
      return { items: await this.settings.bySlackUser(slackUserId) };
    }
    if (!ID_PATTERN.test(group as string)) throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', 'group: a group id');
    return { items: await this.settings.byGroup(group as string) };
  }

  private selfOrAdmin(id: string, principal: Principal): void {
    if (principal.id === id && principal.kind === 'person') return;
    if (hasRole(principal, 'admin')) return;
    throw new ProblemError(403, 'FORBIDDEN', 'Forbidden', "only the person themself or an admin sees or changes someone's notification settings");
  }
}
