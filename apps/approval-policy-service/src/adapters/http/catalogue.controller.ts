import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Tier } from '@kairos/approval-policy-domain';
import { CurrentPrincipal, type Principal } from '@kairos/auth';
import { SearchCatalogue } from '../../use-cases/search-catalogue/search-catalogue';
import { CatalogueQueryDto, CatalogueResultDto } from './catalogue.dto';

/** The requesters' view of the catalogue: any signed-in person, each sees what they may request. */
@ApiTags('catalogue')
@ApiBearerAuth()
@Controller('v1/catalogue')
export class CatalogueController {
  constructor(private readonly search: SearchCatalogue) {}

  @Get()
  @ApiOperation({
    summary:
      'Resources the caller may request: owners, tier, roles, durations, whether approval is needed and by whom (resolved for the caller), and their own current access',
  })
  @ApiOkResponse({ type: CatalogueResultDto })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: CatalogueQueryDto): Promise<CatalogueResultDto> {
    return this.search.execute({
      requester: principal.id,
      ...(query.query ? { query: query.query } : {}),
      ...(query.tier !== undefined ? { tier: query.tier as Tier } : {}),
      limit: query.limit ?? 50,
      offset: query.offset ?? 0,
    });
  }
}
