// Encrypts the most sensitive stored values (TOTP seeds, SSNs) with AES-256-GCM under a key
// from configuration (CHARTROOM_SECRET_KEY, 32 bytes as hex or base64). Without it, a key is generated
// once into the data folder (mode 0600) so that the embedded setup works out of the box; production
// deployments set the variable (docs/configuration.md).
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export class SecretBox {
  /**
   * Names the key without revealing it (HMAC of a constant, 8 hex digits): recorded with sealed values
   * and in the database's key check, so that a wrong key is refused at start and a later key rotation can
   * tell values under the old and the new key apart.
   */
  readonly keyId: string;

  private constructor(private readonly key: Buffer) {
    this.keyId = createHmac('sha256', key).update('chartroom-key-id').digest('hex').slice(0, 8);
  }

  static fromConfig(configured: string | undefined, dataDir: string): SecretBox {
    if (configured) {
      const key = /^[0-9a-f]{64}$/i.test(configured)
        ? Buffer.from(configured, 'hex')
        : Buffer.from(configured, 'base64');
      if (key.length !== 32)
        throw new Error('CHARTROOM_SECRET_KEY must be 32 bytes (64 hex characters or base64)');
      return new SecretBox(key);
    }
    const file = path.join(dataDir, 'secret.key');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(dataDir, { recursive: true });
      fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    }
    return new SecretBox(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex'));
  }

  /** A keyed MAC of `text` for one purpose (CSRF tokens bound to a session), base64url. */
  mac(purpose: string, text: string): string {
    const subkey = createHmac('sha256', this.key).update(`chartroom-mac:${purpose}`).digest();
    return createHmac('sha256', subkey).update(text).digest('base64url');
  }

  /** `purpose`, when given, is authenticated with the value (a value sealed for one purpose opens for it only). */
  seal(plain: string, purpose?: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    if (purpose) cipher.setAAD(Buffer.from(purpose));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1.${iv.toString('base64')}.${cipher.getAuthTag().toString('base64')}.${data.toString('base64')}`;
  }

  open(sealed: string, purpose?: string): string {
    const [v, iv, tag, data] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || data === undefined) throw new Error('unknown sealed-value format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    if (purpose) decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}
