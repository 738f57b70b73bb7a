// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test/artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/engine/**/*.ts', 'src/tcp/**/*.ts', 'src/net/**/*.ts', 'src/sim/**/*.ts'],
    rules: {
      // The model core is pure: simulated time and a seeded PRNG are passed in.
      'no-restricted-globals': ['error', 'Date', 'setTimeout', 'setInterval', 'performance', 'process'],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'use the seeded Rng' }],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
