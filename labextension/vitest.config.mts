import { defineConfig } from 'vitest/config';

// Only the pure modules (no JupyterLab imports) are unit-tested, so node is enough.
export default defineConfig({
  test: { include: ['test/**/*.spec.ts'], environment: 'node' }
});
