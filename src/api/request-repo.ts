// The repository as one request sees it: restricted patients visible only as the user's care
// relationships and break-the-glass grants allow (loaded once per request, on first need).
import type { FastifyRequest } from 'fastify';
import { EXEMPT_ROLES } from '../security/policy/patient-access.js';
import { mayDo } from '../security/policy/permissions.js';
import type { Repository } from '../store/repository.js';
import { allowedRestricted } from '../store/restrictions.js';
import type { AppContext } from './context.js';

export function requestRepo(req: FastifyRequest, ctx: AppContext): Repository {
  const username = req.principal?.username ?? '';
  let allowed: Promise<string[]> | undefined;
  return ctx.repo.withVisibility({
    username,
    exempt: (req.principal?.roles ?? []).some((r) => EXEMPT_ROLES.includes(r)),
    removeLabels: mayDo(req.principal?.roles ?? [], 'labels:remove'),
    allowed: (q) => {
      allowed ??= allowedRestricted(q, username);
      return allowed;
    },
    // SMART patient/ scopes (api/scope-enforcement.ts)
    ...(req.confinedPatient ? { patient: req.confinedPatient } : {}),
  });
}
