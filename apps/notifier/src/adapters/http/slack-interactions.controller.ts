import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@kairos/auth';
import { HandleSlackInteraction, type SlackAnswer } from '../../use-cases/handle-slack-interaction/handle-slack-interaction';
import { SlackInteractionAnswerDto } from './responses';

/**
 * Slack's interactivity callback: an Approve or Deny click. Public (no bearer token): the use case
 * authenticates it by Slack's request signature over the raw form body (the module keeps this
 * route's body unparsed).
 */
@ApiTags('slack')
@Controller('v1/slack')
export class SlackInteractionsController {
  constructor(private readonly handle: HandleSlackInteraction) {}

  @Post('interactions')
  @Public()
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({ summary: "Slack's interactivity endpoint (signed by Slack): Approve / Deny buttons become the clicking person's review" })
  @ApiOkResponse({ type: SlackInteractionAnswerDto })
  async interact(
    @Body() raw: unknown,
    @Headers('x-slack-request-timestamp') timestamp: string | undefined,
    @Headers('x-slack-signature') signature: string | undefined,
  ): Promise<SlackAnswer> {
    return this.handle.run({ body: Buffer.isBuffer(raw) ? raw : Buffer.alloc(0), timestamp, signature });
  }
}
