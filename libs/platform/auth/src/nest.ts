import {
  createParamDecorator,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { hasRole, type Principal, type Role } from './principal';
import { InvalidTokenError, TokenVerifier } from './token-verifier';

const PUBLIC_KEY = 'kairos:public';
const ROLES_KEY = 'kairos:roles';

/** Marks a route open to unauthenticated callers. Only health and metrics use it. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
/** The caller needs at least one of these roles. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const request = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
  if (!request.principal) throw new AuthenticationError('no authenticated principal');
  return request.principal;
});

export class AuthenticationError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AuthenticationError';
  }
}

export class AuthorizationError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AuthorizationError';
  }
}

/**
 * Applied to every route of every service. Identity comes only from the verified token: roles
 * sent any other way (headers, query, body) are never read.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new AuthenticationError('a bearer token is required');
    try {
      request.principal = await this.verifier.verify(match[1]!);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new AuthenticationError(error.reason);
      throw error;
    }
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (required && required.length > 0 && !hasRole(request.principal, ...required)) {
      throw new AuthorizationError(`this operation needs one of the roles: ${required.join(', ')}`);
    }
    return true;
  }
}
