import type { PreflightRule } from '../finding';
import { missingRecipes } from './recipe-missing';

export const HookRecipeMissing: PreflightRule = {
  code: 'SDF209',
  severity: 'warning',
  name: "a hook's recipe is not in config/install/",
  check: (ctx) => missingRecipes(ctx, false),
};
