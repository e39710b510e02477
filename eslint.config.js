const tseslint = require('typescript-eslint');
const jupyter = require('@jupyter/eslint-plugin');
const prettier = require('eslint-config-prettier');

// The Jupyter rules are about extension code (translations, signals, plugin ids):
// they apply to src/ only; the demo portal and the test suites are plain TypeScript.
const jupyterRecommended = jupyter.configs.recommended.map(config => ({
  ...config,
  files: (config.files || []).map(pattern =>
    pattern.startsWith('**/schema') ? 'schema/*.json' : `src/${pattern}`
  )
}));

module.exports = tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/lib/',
      '.venv/',
      'dist/',
      'coverage/',
      'jupyterlab_portal_token/labextension/',
      'ui-tests/test-results/',
      'ui-tests/playwright-report/',
      '**/*.d.ts'
    ]
  },
  ...tseslint.configs.recommended,
  { plugins: { jupyter } },
  ...jupyterRecommended,
  prettier,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js'],
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      '@typescript-eslint/no-unused-vars': ['warn', { args: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off',
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  {
    // The plugins need these at once: the injector must follow the first kernels before their
    // first cell, the manager must put a live token into them, and the panel, the status item and
    // the commands (the palette lists them) are there from the start. So they load with the plugins, in one chunk: every split made the
    // extension heavier and startup no faster (see docs/BENCHMARKS.md, weight and startup).
    files: ['src/index.ts'],
    rules: {
      'jupyter/prefer-lazy-imports': [
        'warn',
        {
          ignoreImports: [
            './actions',
            './commands',
            './injection/injector',
            './manager',
            './notices',
            './portals/registry',
            './widgets/panel',
            './widgets/status'
          ]
        }
      ]
    }
  },
  {
    // Tests and their fixtures are not user-facing.
    files: ['src/**/__tests__/**'],
    rules: { 'jupyter/no-untranslated-string': 'off' }
  },
  {
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  }
);
