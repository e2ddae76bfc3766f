import type { PreflightRule } from '../finding';
import { missingRecipes } from './recipe-missing';

export const InstallRecipeMissing: PreflightRule = {
  code: 'SDF208',
  severity: 'critical',
  name: "the install hook's recipe is not in config/install/",
  check: (ctx) => missingRecipes(ctx, true),
};
