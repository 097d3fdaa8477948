import { Body, Controller, Get, Param, ParseIntPipe, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Tier, TierSettings } from '@kairos/approval-policy-domain';
import { Roles } from '@kairos/auth';
import { ApiProblems } from '@kairos/http';
import { EditTiers } from '../../use-cases/edit-tiers/edit-tiers';
import { TierDto, TierListDto, TierSavedDto, TierSettingsDto } from './catalogue.dto';

/** The five sensitivity tiers, seeded with the defaults and edited by admins; there is no sixth. */
@ApiTags('catalogue')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/tiers')
export class TiersController {
  constructor(private readonly tiers: EditTiers) {}

  @Get()
  @ApiOperation({ summary: 'The five tiers and their settings' })
  @ApiOkResponse({ type: TierListDto })
  async list(): Promise<{ items: { tier: Tier; settings: TierSettings }[]; policyVersion: number }> {
    return this.tiers.list();
  }

  @Get(':tier')
  @ApiOkResponse({ type: TierDto })
  @ApiProblems(404)
  async get(@Param('tier', ParseIntPipe) tier: number): Promise<{ tier: Tier; settings: TierSettings }> {
    return this.tiers.get(tier);
  }

  @Put(':tier')
  @ApiOperation({ summary: "Replace a tier's settings (approval rule, validity, durations, TTL, break-glass); bumps the policy version" })
  @ApiBody({ type: TierSettingsDto, description: 'the whole settings of the tier' })
  @ApiOkResponse({ type: TierSavedDto })
  @ApiProblems(404)
  async replace(
    @Param('tier', ParseIntPipe) tier: number,
    @Body() body: unknown,
  ): Promise<{ tier: Tier; settings: TierSettings; policyVersion: number }> {
    return this.tiers.replace(tier, body);
  }
}
