// Part of `npm run build`: writes the compact definitions (structure definitions without narrative, the
// member parameters of the R4 compartments, and the expansions of every required binding) to
// dist/definitions, so the server starts small.
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { loadDefinitions } from '../src/fhir/definitions.js';
import {
  compactCompartments,
  compactDir,
  compactStructureBundle,
  publishedDir,
} from '../src/fhir/definitions-compact.js';
import { requiredValueSetUrls, writeExpansions } from '../src/fhir/validate/required-bindings.js';

fs.mkdirSync(compactDir, { recursive: true });
const bundles: Bundle[] = [];
for (const name of ['profiles-types.json', 'profiles-resources.json']) {
  const compact = compactStructureBundle(
    JSON.parse(fs.readFileSync(path.join(publishedDir, name), 'utf8')) as Bundle,
  );
  fs.writeFileSync(path.join(compactDir, name), JSON.stringify(compact));
  bundles.push(compact);
}
fs.writeFileSync(path.join(compactDir, 'compartments.json'), JSON.stringify(compactCompartments()));
loadDefinitions();
writeExpansions(path.join(compactDir, 'required-valuesets.json'), requiredValueSetUrls(bundles));
