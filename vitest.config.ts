import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // The shipped agent package (resources/agent) is made, not committed: test/agent-package-setup.ts.
          globalSetup: ['test/agent-package-setup.ts'],
          testTimeout: 15_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // The bundles the tests run (the twinlock command, the desktop app) are rebuilt first, never stale.
          globalSetup: ['test/agent-package-setup.ts', 'test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // Every remote script in a real PowerShell (pwsh) with the Windows shim: test/powershell/README.md.
          name: 'powershell',
          include: ['test/powershell/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/agent-package-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/agent-package-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
