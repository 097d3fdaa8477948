import { Body, Controller, Get, Param, ParseIntPipe, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TIERS, type Tier, type TierSettings } from '@kairos/approval-policy-domain';
import { Roles } from '@kairos/auth';
import { ApiProblems, ProblemError } from '@kairos/http';
import { CatalogueRepository } from './catalogue.repository';
import { TierDto, TierListDto, TierSavedDto, TierSettingsDto } from './catalogue.dto';
import { validateSettings } from './settings-validation';

const tierOf = (value: number): Tier => {
  if (!(TIERS as readonly number[]).includes(value))
    throw new ProblemError(404, 'TIER_NOT_FOUND', 'Not Found', `tiers are 0 to 4, not ${value}`);
  return value as Tier;
};

/** The five sensitivity tiers, seeded with the defaults and edited by admins; there is no sixth. */
@ApiTags('catalogue')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/tiers')
export class TiersController {
  constructor(private readonly catalogue: CatalogueRepository) {}

  @Get()
  @ApiOperation({ summary: 'The five tiers and their settings' })
  @ApiOkResponse({ type: TierListDto })
  async list(): Promise<{ items: { tier: Tier; settings: TierSettings }[]; policyVersion: number }> {
    const table = await this.catalogue.tiers();
    return { items: TIERS.map((tier) => ({ tier, settings: table[tier] })), policyVersion: await this.catalogue.policyVersion() };
  }

  @Get(':tier')
  @ApiOkResponse({ type: TierDto })
  @ApiProblems(404)
  async get(@Param('tier', ParseIntPipe) tier: number): Promise<{ tier: Tier; settings: TierSettings }> {
    const table = await this.catalogue.tiers();
    const key = tierOf(tier);
    return { tier: key, settings: table[key] };
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
    const key = tierOf(tier);
    const problems = validateSettings(body, 'settings', true);
    if (problems.length > 0) {
      throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', `${problems.length} field(s) are not valid`, { errors: problems });
    }
    const settings = body as TierSettings;
    return { tier: key, settings, policyVersion: await this.catalogue.saveTier(key, settings) };
  }
}
