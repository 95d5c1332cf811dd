/**
 * The session as the JSON API sees it: who is signed in (on the portal's pages) and the CSRF token
 * every write must carry, documented by OpenAPI.
 */
import type { FastifySchema } from 'fastify';
import type { AuthUser } from '../../access/permissions.ts';
import { jsonApiRoutes } from '../../web/api/json-api.ts';
import { nullableText, object, text } from '../../web/api/json-schemas.ts';

const sessionUser = {
  ...object({ id: text, email: text, role: text, organizationId: nullableText, fullName: text }),
  type: ['object', 'null'],
};

function sessionUserJson(user: AuthUser | null) {
  return user && { id: user.id, email: user.email, role: user.role, organizationId: user.organizationId, fullName: user.fullName };
}

export const sessionApiSchemas = {
  session: {
    summary: 'The signed-in user and the CSRF token of the session',
    description: 'Send the token as the x-csrf-token header with every POST, PUT, PATCH and DELETE. user is null when nobody is signed in.',
    tags: ['session'],
    response: { 200: object({ user: sessionUser, csrfToken: text }, 'The user, and the token for writes.') },
  },
} satisfies Record<string, FastifySchema>;

export default jsonApiRoutes('portal-session-api', async function sessionApi(fastify) {
  fastify.get('/api/session', { config: { access: 'public' }, schema: sessionApiSchemas.session }, async (request, reply) => ({
    user: sessionUserJson(request.user),
    csrfToken: reply.generateCsrf(),
  }));
});
