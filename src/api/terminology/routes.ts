// The terminology area of the API: the FHIR terminology operations and the encoder's JSON API, over code sets
// held by one holder (CHARTROOM_TERMINOLOGY=lazy|eager|off, default lazy: loaded on first use).
import type { FastifyInstance } from 'fastify';
import { codeCheckOf, loadWithInstalled } from '../../terminology/index.js';
import type { AppContext } from '../context.js';
import { encoderRoutes } from './encoder-routes.js';
import { terminologyOperationRoutes } from './fhir-operations.js';
import { TerminologyHolder, terminologyCacheDirOf, terminologyModeOf } from './holder.js';

export function terminologyRoutes(app: FastifyInstance, ctx: AppContext): void {
  const cacheDir = terminologyCacheDirOf(process.env.CHARTROOM_TERMINOLOGY_CACHE, ctx.config.dataDir);
  const h = new TerminologyHolder(terminologyModeOf(process.env.CHARTROOM_TERMINOLOGY), async () => {
    // the shipped code sets and the releases installed in this data folder (chartroom terminology install)
    const { terminology } = await loadWithInstalled(ctx.config.dataDir, { cacheDir });
    return terminology;
  });
  // coded elements of the systems served are checked on every write, unless the code sets are switched off
  if (h.mode !== 'off') ctx.repo.setCodeCheck(codeCheckOf(() => h.get()));
  if (h.mode === 'eager') {
    // loads in the background once the server is ready; requests that come earlier wait for the same load
    app.addHook('onReady', async () => {
      h.get().catch((err: Error) => process.stderr.write(`terminology: ${err.message}\n`));
    });
  }
  terminologyOperationRoutes(app, h);
  encoderRoutes(app, h);
}
