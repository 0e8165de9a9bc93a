// The layer rule of docs/architecture.md: a module imports only from its own folder or a folder
// below it, and nothing imports in a cycle. `npm test` runs this; there are no exceptions.
const layers = ['errors', 'text', 'plan', 'adapters', 'integrity', 'run', 'record', 'github', 'ui', 'commands', 'action', 'cli', 'bin'];

/** A path pattern for the source of a layer (a folder, or errors.ts / cli.ts). */
const pathOf = (layer) => (layer === 'errors' || layer === 'cli' || layer === 'bin' ? `^src/${layer}\\.ts$` : `^src/${layer}/`);

module.exports = {
  forbidden: [
    ...layers.map((layer, index) => ({
      name: `no-upward-from-${layer}`,
      comment: `${layer} may import only from ${layers.slice(0, index).join(', ') || 'nothing of ours'} (docs/architecture.md)`,
      severity: 'error',
      from: { path: pathOf(layer) },
      to: { path: layers.slice(index + 1).map(pathOf).join('|') || '^$' },
    })),
    {
      name: 'no-cycle',
      comment: 'modules must not import each other in a circle',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-src-to-test',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/plan/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
