// Lint, and the architecture's import boundaries: a violation fails the build.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';

const ui = ['vue', 'pinia', 'naive-ui'];
const shells = ['electron', 'renderer', 'server', 'cli', 'lab'];

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
  // renderer/: sees the engine only through the types of engine/api, and its shared rules.
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.vue'],
    rules: {
      '@typescript-eslint/no-restricted-imports': forbid(
        {
          packages: ['electron', 'ssh2', 'node-ssh', 'ws'],
          folders: ['electron', 'server', 'cli', 'lab'],
          regexes: ['(^|/)engine/(?!api(/|$))'],
          typeOnly: [
            {
              regex: '(^|/)engine/api(/(?!rules$)|$)',
              message: 'renderer/ may import only types from engine/api (use `import type`).',
            },
          ],
        },
        'renderer/ talks to the engine only through its ApiClient; it may import only types from engine/api.',
      ),
    },
  },
  // Shells other than electron/ stay free of UI frameworks.
  {
    files: ['server/**/*.ts', 'cli/**/*.ts', 'lab/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': forbid(
        { packages: ['electron', ...ui], folders: ['renderer', 'electron'] },
        'server/, cli/ and lab/ run on plain Node: no Electron, Vue or renderer code.',
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
