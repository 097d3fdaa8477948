import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { parseDirectoryImport } from '@kairos/approval-policy-domain';
import { Roles } from '@kairos/auth';
import { ProblemError } from '@kairos/http';
import { DirectoryRepository } from './directory.repository';
import { DirectoryImportResultDto } from './directory.responses';
import { jsonImportText } from './json-import-text';

@ApiTags('directory')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/directory/import')
export class DirectoryImportController {
  constructor(private readonly directory: DirectoryRepository) {}

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
    const source = csv ? { text: typeof body === 'string' ? body : '', pointerOf: () => '' } : jsonImportText(body);
    const result = parseDirectoryImport(source.text, csv ? 'csv' : 'json');
    if (!result.ok) {
      throw new ProblemError(400, 'DIRECTORY_IMPORT_INVALID', 'Bad Request', `${result.errors.length} problem(s); nothing was imported`, {
        errors: result.errors.map((error) => (csv ? error : { pointer: source.pointerOf(error.line), message: error.message })),
      });
    }
    const { deactivated } = await this.directory.writeTransaction((tx) => this.directory.replaceAll(tx, result));
    return { identities: result.identities.length, groups: result.groups.length, deactivated };
  }
}
