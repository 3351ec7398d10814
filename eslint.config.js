// Lint, and the architecture's import boundaries: a violation fails the build.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import { builtinModules } from 'node:module';

const ui = ['vue', 'pinia', 'naive-ui'];
const shells = ['electron', 'renderer', 'server', 'cli', 'lab'];
const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'));

/** Builds a no-restricted-imports rule from forbidden package names and forbidden folders. */
function forbid({ packages = [], folders = [], regexes = [], typeOnly = [] }, why) {
  return [
    'error',
    {
      paths: packages.map((name) => ({ name, message: why })),
      patterns: [
        ...packages.map((name) => ({ group: [`${name}/*`], message: why })),
        ...folders.map((folder) => ({
          regex: `(^|/)${folder}(/|$)`,
          message: why,
        })),
        ...regexes.map((regex) => ({ regex, message: why })),
        ...typeOnly.map(({ regex, message }) => ({ regex, message, allowTypeImports: true })),
      ],
    },
  ];
}

const features = ['verify', 'agent', 'pair', 'bundle', 'inventory', 'discovery', 'fleet'];
/** The composition root, engine/engine.ts, seen from a folder of the engine. */
const compositionRoot = ['^\\.\\./engine(\\.ts)?$'];

/** A no-restricted-imports rule over import paths (relative to a folder of the engine). */
function layer(regexes, why) {
  return ['error', { patterns: regexes.map((regex) => ({ regex, message: why })) }];
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'dist-electron/',
      'dist-electron.*/',
      'dist-cli/',
      'dist-cli.*/',
      'build/icons/',
      'test-results/',
      'coverage/',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' },
    },
  },
  // TypeScript and Vue files are linted with their types (tsconfig.node.json, tsconfig.web.json):
  // a promise nobody awaits, or a switch that forgets a case of a union, fails the build.
  // *.config.ts are in tsconfig.node.json; the few JavaScript files (this config, scripts/*.mjs,
  // bin/, the tests' *.mjs child processes) belong to no project and are linted without types.
  {
    files: ['**/*.ts', '**/*.vue'],
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.node.json', './tsconfig.web.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false },
      ],
    },
  },
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        WebSocket: 'readonly',
        sessionStorage: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        Event: 'readonly',
        File: 'readonly',
        HTMLInputElement: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
    },
  },
  // Tests read untyped JSON from servers and fixtures.
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  // Only electron/ may import electron.
  {
    files: ['**/*.ts', '**/*.vue', '**/*.js', '**/*.mjs'],
    ignores: ['electron/**', 'test/unit/electron/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': forbid(
        { packages: ['electron'] },
        'Only electron/ may import electron: the engine and the other shells must run without it.',
      ),
    },
  },
  // engine/: plain TypeScript on Node, no UI, no shells, and it never prints.
  {
    files: ['engine/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': forbid(
        { packages: ['electron', ...ui], folders: shells },
        'engine/ is the product core: it must not import Electron, Vue, Pinia or any shell (electron/, renderer/, server/, cli/, lab/).',
      ),
      'no-console': 'error',
    },
  },
  // renderer/: sees the engine only through engine/api: its types, and the values of the wire
  // (engine/api/wire.ts) and of the shared rules (engine/api/rules.ts), which hold no engine code.
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.vue'],
    rules: {
      '@typescript-eslint/no-restricted-imports': forbid(
        {
          packages: ['electron', 'ssh2', 'node-ssh', 'ws'],
          folders: ['electron', 'server', 'cli', 'lab', 'web'],
          regexes: ['(^|/)engine/(?!api(/|$))'],
          typeOnly: [
            {
              regex: '(^|/)engine/api(/(?!(wire|rules)(\\.ts)?$).*)?$',
              message:
                'renderer/ may import values only from engine/api/wire and engine/api/rules; from the rest of engine/api, only types (use `import type`).',
            },
          ],
        },
        'renderer/ talks to the engine only through its ApiClient; it may import types from engine/api and values from engine/api/wire and engine/api/rules.',
      ),
    },
  },
  // engine/api/: the contract the page's type-check reads, so nothing of Node and nothing of the
  // engine behind it (engine/engine.ts composes the engine; engine/api never reaches it).
  ...[
    ['engine/api/*.ts', '^\\.\\./'],
    ['engine/api/*/**/*.ts', '^\\.\\./\\.\\./'],
  ].map(([files, outside]) => ({
    files: [files],
    rules: {
      '@typescript-eslint/no-restricted-imports': forbid(
        {
          packages: ['electron', ...ui, ...nodeBuiltins, 'ssh2', 'node-ssh', 'ws'],
          folders: shells,
          regexes: ['^node:', outside],
        },
        'engine/api/ is the contract only: no Node module, no engine module outside engine/api, no shell.',
      ),
    },
  })),
  // electron/ and server/ are two shells side by side: what both need lives in web/ (or engine/api).
  {
    files: ['electron/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': forbid(
        { packages: [...ui], folders: ['server', 'cli', 'renderer'] },
        'electron/ must not import server/, cli/ or renderer/: shared web code lives in web/.',
      ),
    },
  },
  // web/: what both shells serve the page with (its CSP, its files): plain Node, no shell.
  {
    files: ['web/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': forbid(
        { packages: ['electron', ...ui], folders: shells },
        'web/ is shared by electron/ and server/: it must not import Electron, Vue or any shell.',
      ),
    },
  },
  // Shells other than electron/ stay free of UI frameworks.
  {
    files: ['server/**/*.ts', 'cli/**/*.ts', 'lab/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': forbid(
        { packages: ['electron', ...ui], folders: ['renderer', 'electron'] },
        'server/, cli/ and lab/ run on plain Node: no Electron, Vue or renderer code (server/ and electron/ share web/, never each other).',
      ),
    },
  },
  // Layers inside the engine (rule no-restricted-imports, beside the package and shell
  // boundaries of @typescript-eslint/no-restricted-imports above). The foundations (remote/,
  // jobs/, store/) know no feature; features (verify/, agent/, pair/, bundle/, inventory/,
  // discovery/) never reach up into service/ or the composition root; engine/api/ is the
  // contract and stands alone.
  {
    files: ['engine/remote/**/*.ts', 'engine/jobs/**/*.ts', 'engine/store/**/*.ts'],
    rules: {
      'no-restricted-imports': layer(
        [`^\\.\\./(${features.join('|')}|service)(/|$)`, ...compositionRoot],
        'remote/, jobs/ and store/ are the foundations: they must not import a feature (verify/, agent/, pair/, bundle/, inventory/, discovery/), service/ or the composition root.',
      ),
    },
  },
  {
    files: features.map((feature) => `engine/${feature}/**/*.ts`),
    rules: {
      'no-restricted-imports': layer(
        ['^\\.\\./service(/|$)', ...compositionRoot],
        'A feature must not import service/ or the composition root: they are built on the features, not under them.',
      ),
    },
  },
  ...[
    ['engine/api/*.ts', '^\\.\\./'],
    ['engine/api/*/**/*.ts', '^\\.\\./\\.\\./'],
  ].map(([files, outside]) => ({
    files: [files],
    rules: {
      'no-restricted-imports': layer(
        [outside],
        'engine/api/ is the typed contract: it imports nothing of the engine outside engine/api/.',
      ),
    },
  })),
  // The shells reach the engine through its front door only: engine/api (the contract) and the
  // composition root. engine/app-paths.ts (where Twinlock's own files are, for every way it runs)
  // belongs to that door: the shells resolve it before they build the engine.
  // Not held to it: lab/ (simulated servers, a test tool) and bench/ (measures the engine's parts:
  // sftp-upload, discovery) may use internals.
  {
    files: ['cli/**/*.ts', 'server/**/*.ts', 'electron/**/*.ts'],
    rules: {
      'no-restricted-imports': layer(
        ['(^|/)engine/(?!(api|engine|app-paths)(\\.ts)?(/|$))'],
        'A shell reaches the engine only through engine/api and the composition root (engine/engine.ts).',
      ),
    },
  },
  // Modules bundled into the desktop app share one import.meta.url and one process.argv: a
  // "run me when I am the main module" check would fire inside the app. Entry points live in
  // *-main.ts files of their own, which nothing imports.
  {
    files: ['engine/**/*.ts', 'lab/**/*.ts', 'server/**/*.ts'],
    ignores: ['**/*-main.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'argv',
          message:
            'Modules bundled into the app must not read process.argv; put a command-line entry in a *-main.ts file.',
        },
      ],
    },
  },
);
