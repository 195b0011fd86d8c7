import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const DOCS_PATH = '/docs';

/**
 * The package's policy, minus what would let the page reach other hosts: operators run heo-power
 * in closed networks, and the page needs nothing but this server.
 */
const sameOriginOnly = (policy: string): string =>
  policy
    .replace(/ https:/g, '')
    .replace(/ validator\.swagger\.io/g, '')
    .replace(/ ?upgrade-insecure-requests;/g, '')
    .trim();

/**
 * The interactive reference (Swagger UI) at `/docs`, every asset served from the installed
 * package: no CDN, no online validator.
 */
export const registerDocsPage = (app: FastifyInstance): void => {
  void app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    staticCSP: true,
    transformStaticCSP: sameOriginOnly,
    theme: { title: 'heo-power API reference' },
    uiConfig: {
      // Without the top bar: its box loads a document from any URL, which the page has no use for.
      layout: 'BaseLayout',
      docExpansion: 'list',
      deepLinking: true,
      defaultModelsExpandDepth: -1,
      displayRequestDuration: true,
      validatorUrl: null,
    },
  });
};
