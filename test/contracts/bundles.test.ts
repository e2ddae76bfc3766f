/**
 * The handlers parse with zod; `import * as z from 'zod'` lets esbuild keep only what the
 * schemas use. `import { z } from 'zod'` pulls in the whole namespace, every locale included
 * (about 380 KB more per handler, measured): no bundle may carry one.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Where jest's global setup (scripts/bundle-handlers.mjs) has just built them. */
const HANDLERS_DIR = path.join(__dirname, '..', '..', 'dist', 'handlers');

test.each(fs.readdirSync(HANDLERS_DIR))('the %s bundle holds no zod locale', (name) => {
  const bundle = fs.readFileSync(path.join(HANDLERS_DIR, name, 'index.js'), 'utf8');
  // zod's German locale (node_modules/zod/v4/locales/de.js); the English one is the default.
  expect(bundle).not.toContain('Ungültige Eingabe');
  expect(bundle.length).toBeLessThan(400_000);
});
