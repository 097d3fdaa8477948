import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, hasRole, type Principal } from '@kairos/auth';
import { ApiProblems, ProblemError } from '@kairos/http';
import { EvaluateRequest } from '../../use-cases/evaluate-request/evaluate-request';
import { EvaluationRequestDto, EvaluationResponseDto } from './evaluation.dto';

@ApiTags('policy')
@ApiBearerAuth()
@Controller('v1/policy/evaluations')
export class EvaluationController {
  constructor(private readonly evaluateRequest: EvaluateRequest) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'What each item of a request needs: approvers per step, limits, break-glass. Called by request-service at submission.',
  })
  @ApiOkResponse({ type: EvaluationResponseDto })
  @ApiProblems(422)
  async evaluate(@Body() body: EvaluationRequestDto, @CurrentPrincipal() principal: Principal): Promise<EvaluationResponseDto> {
    // The token is the requester's own (forwarded by request-service) or an admin's acting on their behalf.
    if (body.requester.id !== principal.id && !hasRole(principal, 'admin')) {
      throw new ProblemError(403, 'FORBIDDEN', 'Forbidden', 'only an admin may evaluate a request on behalf of someone else');
    }
    const result = await this.evaluateRequest.execute({
      requester: body.requester.id,
      items: body.items,
      justification: body.justification,
      breakGlass: body.breakGlass,
      ...(body.duration !== undefined ? { duration: body.duration } : {}),
    });
    if (!result.ok) {
      throw new ProblemError(422, 'POLICY_REFUSED', 'Unprocessable Content', result.problems.map((problem) => problem.message).join('; '), {
        problems: result.problems,
      });
    }
    const { id, kind, groups } = result.requester;
    return { requester: { id, kind, groups: [...groups] }, items: result.items.map((item) => ({ ...item })) };
  }
}
