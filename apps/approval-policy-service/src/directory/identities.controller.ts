import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Identity } from '@kairos/approval-policy-domain';
import { Roles } from '@kairos/auth';
import { ApiProblems, ProblemError } from '@kairos/http';
import { DirectoryRepository } from './directory.repository';
import { IdentityDto, IdentityListDto } from './directory.responses';
import { CreateIdentityDto, IdentityBodyDto } from './directory.dto';

const notFound = (id: string) => new ProblemError(404, 'IDENTITY_NOT_FOUND', 'Not Found', `no identity ${id}`);

@ApiTags('directory')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/identities')
export class IdentitiesController {
  constructor(private readonly directory: DirectoryRepository) {}

  @Get()
  @ApiOkResponse({ type: IdentityListDto })
  async list(): Promise<{ items: Identity[] }> {
    return { items: await this.directory.identities() };
  }

  @Get(':id')
  @ApiOkResponse({ type: IdentityDto })
  @ApiProblems(404)
  async get(@Param('id') id: string): Promise<Identity> {
    const identity = await this.directory.identity(id);
    if (!identity) throw notFound(id);
    return identity;
  }

  @Post()
  @ApiCreatedResponse({ type: IdentityDto })
  @ApiProblems(409)
  async create(@Body() body: CreateIdentityDto): Promise<Identity> {
    return this.save(body.id, body, false);
  }

  @Put(':id')
  @ApiOkResponse({ type: IdentityDto })
  @ApiProblems(404)
  async replace(@Param('id') id: string, @Body() body: IdentityBodyDto): Promise<Identity> {
    return this.save(id, body, true);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems(404)
  async remove(@Param('id') id: string): Promise<void> {
    if (!(await this.directory.deleteIdentity(id))) throw notFound(id);
  }

  private save(id: string, body: IdentityBodyDto, mustExist: boolean): Promise<Identity> {
    const identity: Identity = {
      id,
      kind: body.kind,
      displayName: body.displayName,
      ...(body.email ? { email: body.email } : {}),
      ...(body.managerId ? { managerId: body.managerId } : {}),
      ...(body.kind === 'service' && body.owner ? { owner: body.owner } : {}),
      groups: [...new Set(body.groups ?? [])],
      active: body.active ?? true,
    };
    return this.directory.writeTransaction(async (tx) => {
      const existing = await this.directory.identity(id, tx);
      if (mustExist && !existing) throw notFound(id);
      if (!mustExist && existing)
        throw new ProblemError(409, 'IDENTITY_EXISTS', 'Conflict', `identity ${id} already exists; PUT replaces it`);
      const errors: { field: string; messages: string[] }[] = [];
      const references = [identity.managerId, identity.owner].filter((ref): ref is string => ref !== undefined);
      const known = await this.directory.existing(references, tx);
      if (identity.managerId !== undefined && (identity.managerId === id || !known.has(identity.managerId))) {
        errors.push({ field: 'managerId', messages: [`manager ${identity.managerId} must be another identity of the directory`] });
      }
      // A service account nobody answers for is the forgotten non-human identity.
      if (identity.kind === 'service' && (identity.owner === undefined || identity.owner === id || !known.has(identity.owner))) {
        errors.push({ field: 'owner', messages: ['a service account needs an owner: another identity of the directory'] });
      }
      if (errors.length > 0)
        throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', `${errors.length} field(s) are not valid`, { errors });
      await this.directory.putIdentity(tx, identity);
      return (await this.directory.identity(id, tx)) as Identity;
    });
  }
}
