// What every API plugin is given: the configuration and the domain services.
import type { Config } from '../platform/config.js';
import type { SecretBox } from '../platform/crypto/secret-box.js';
import type { Database } from '../platform/db/database.js';
import type { SessionService } from '../security/identity/sessions.js';
import type { TokenService } from '../security/oauth/tokens.js';
import type { ExportRunner } from '../store/export/run-export.js';
import type { Repository } from '../store/repository.js';
import type { AuditWriter } from './audit-writer.js';

export interface AppContext {
  config: Config;
  db: Database;
  repo: Repository;
  tokens: TokenService;
  audit: AuditWriter;
  sessions: SessionService;
  box: SecretBox;
  /** Bulk Data export jobs running in the background. */
  exports: ExportRunner;
}
