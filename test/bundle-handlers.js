// jest globalSetup: the stacks under test load the pre-built handler bundles, so every jest run
// rebuilds them from lambda/ first (esbuild, well under a second): a test never sees a stale bundle.
module.exports = async () => {
  const { bundleHandlers } = await import('../scripts/bundle-handlers.mjs');
  await bundleHandlers();
};
