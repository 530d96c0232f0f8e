// Serves the encoder's web code-search panel: the <chartroom-code-search> module, the page that hosts it
// and that page's glue module, read from the repository's web/ folder. Open routes: they hold no PHI.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** Script, style and data only from Chartroom itself; no inline script, no framing. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const FILES: Record<string, { file: string; type: string }> = {
  '/ui/code-search': { file: 'code-search.html', type: 'text/html; charset=utf-8' },
  '/ui/code-search.js': { file: 'code-search.js', type: 'text/javascript; charset=utf-8' },
  '/ui/code-search-page.js': { file: 'code-search-page.js', type: 'text/javascript; charset=utf-8' },
};

/** The repository's web/ folder, found upward from this module (src/api/ui when run from source, dist/src/api/ui when built). */
export function webFolder(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'web');
    if (fs.existsSync(path.join(candidate, 'code-search.js'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error(`web/code-search.js not found above ${from}`);
}

export function codeSearchPageRoutes(app: FastifyInstance): void {
  let folder: string | undefined;
  for (const [url, { file, type }] of Object.entries(FILES)) {
    app.get(url, async (req, reply) => {
      req.audit = { action: 'R', interaction: 'web-ui', entities: [], patients: [] };
      folder ??= webFolder();
      const body = await fs.promises.readFile(path.join(folder, file));
      reply.header('Content-Type', type);
      reply.header('Cache-Control', 'no-cache');
      if (type.startsWith('text/html')) reply.header('Content-Security-Policy', PAGE_CSP);
      return reply.send(body);
    });
  }
}
