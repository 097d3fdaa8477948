import { Controller, Get, Header, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@kairos/auth';
import { ProblemError } from '@kairos/http';
import { RevealCredentials, type CredentialsView } from '../../use-cases/reveal-credentials/reveal-credentials';

export class CredentialsResponse {
  @ApiProperty() grantId!: string;
  @ApiProperty() requestId!: string;
  @ApiProperty({ description: 'the LOGIN role created for this grant' }) login!: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'in the first answer only; null afterwards' }) password!: string | null;
  @ApiProperty({ description: 'sha256 of the password, first 16 hex digits: tells two apart, logs in nowhere' }) fingerprint!: string;
  @ApiProperty({ description: 'the database refuses the login from then on (VALID UNTIL)' }) validUntil!: string;
  @ApiProperty({ description: 'host, port, database (no secret)', type: Object }) connection!: Record<string, string | number>;
  @ApiProperty() issuedAt!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) deliveredAt!: string | null;
  @ApiPropertyOptional({ nullable: true, enum: ['delivered', 'lost'] }) passwordGone!: 'delivered' | 'lost' | null;
}

/**
 * Short-lived credentials, handed to the identity they were issued to, once, over the
 * authenticated API. They never travel in an event, a log, Kafka or the audit trail.
 */
@ApiTags('credentials')
@ApiBearerAuth()
@Controller('v1/credentials')
export class CredentialsController {
  constructor(private readonly credentials: RevealCredentials) {}

  @Get(':grantId')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'The short-lived credentials of one of your grants: the password in the first answer only, then its fingerprint',
  })
  @ApiOkResponse({ type: CredentialsResponse })
  async fetch(@Param('grantId') grantId: string, @CurrentPrincipal() principal: Principal): Promise<CredentialsView> {
    if (!/^[A-Za-z0-9:._-]{1,200}$/.test(grantId)) {
      throw new ProblemError(400, 'CREDENTIALS.BAD_GRANT_ID', 'Not a grant id', 'a grant id is `<request id>:<item id>:<n>`');
    }
    const outcome = await this.credentials.reveal(grantId, principal.id);
    if (outcome.kind === 'not_found') {
      // Someone else's grant answers the same as no grant: nothing to learn by guessing ids.
      throw new ProblemError(404, 'CREDENTIALS.NOT_FOUND', 'No credentials for you under this grant', 'short-lived credentials are handed only to the identity they were issued to');
    }
    return outcome.credentials;
  }
}
