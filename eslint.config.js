import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// One rule for src/**, repeated in the workflow block because a later block's options replace an earlier one's.
const productOnly = {
  group: ['**/dev/**', '**/test/**', '**/bench/**'],
  message: 'Product code (src/) must not import the dev stack, tests or benchmarks: they are not in the image.',
};

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '.venv/', 'coverage/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The product (what the image ships) never reaches into the dev stack, tests or benchmarks.
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [productOnly] }] },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: it may import activity *types* only.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/activities/*', '!**/activities/types*'], message: 'Workflows import activity types only.' },
            { group: ['pg', 'node:*', 'fs', 'crypto', 'pino'], message: 'Not deterministic: not allowed in workflow code.' },
            productOnly,
          ],
        },
      ],
    },
  },
);
