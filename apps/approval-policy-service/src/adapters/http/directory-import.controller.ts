import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@kairos/auth';
import { ProblemError } from '@kairos/http';
import { ImportDirectory } from '../../use-cases/import-directory/import-directory';
import { DirectoryImportResultDto } from './directory.responses';

@ApiTags('directory')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/directory/import')
export class DirectoryImportController {
  constructor(private readonly importDirectory: ImportDirectory) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Replace the directory from an export: everyone in it is written, everyone else deactivated, memberships become the import's. All or nothing.",
  })
  @ApiConsumes('text/csv', 'application/json')
  @ApiOkResponse({ type: DirectoryImportResultDto })
  @ApiBody({
    schema: {
      type: 'string',
      description: 'CSV with header id,kind,displayName,email,managerId,groups[,owner,active], or JSON { identities, groups? }',
    },
  })
  async import(
    @Body() body: unknown,
    @Headers('content-type') contentType = '',
  ): Promise<{ identities: number; groups: number; deactivated: number }> {
    const csv = /^text\/csv\b/i.test(contentType);
    if (!csv && !/^application\/(.+\+)?json\b/i.test(contentType)) {
      throw new ProblemError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type', 'send text/csv or application/json');
    }
    return this.importDirectory.execute(csv ? { format: 'csv', text: typeof body === 'string' ? body : '' } : { format: 'json', body });
  }
}
