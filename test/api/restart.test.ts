// Data outlives the server: stop it, start it again on the same storage, and everything is there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer } from '../../src/server.js';
import { ADMIN_PASSWORD, freshStorage, signInAdministrator } from '../support/test-server.js';

test('a restarted server keeps resources, versions, the administrator and its signing key', async () => {
  const storage = await freshStorage('restart');
  const opts = {
    databaseUrl: storage.databaseUrl,
    dataDir: storage.dataDir,
    port: 0,
    adminPassword: ADMIN_PASSWORD,
  };
  try {
    const first = await startServer(opts);
    const { token: t1, totpSecret } = await signInAdministrator(first.url);
    const created = await fetch(`${first.url}/fhir/R4/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t1}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Durable' }] }),
    });
    const id = ((await created.json()) as { id: string }).id;
    await first.close();

    const second = await startServer({ ...opts, adminPassword: 'a different password is ignored now' });
    try {
      assert.equal(second.services.firstAdmin, undefined, 'no second administrator is created');
      // A token issued before the restart still verifies: the key is in the database.
      const r = await fetch(`${second.url}/fhir/R4/Patient/${id}`, {
        headers: { authorization: `Bearer ${t1}` },
      });
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { name: { family: string }[] }).name[0].family, 'Durable');
      assert.ok(
        (await signInAdministrator(second.url, totpSecret)).token,
        'the original password and second factor still sign in',
      );
    } finally {
      await second.close();
    }
  } finally {
    await storage.drop();
  }
});
