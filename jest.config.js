const jestJupyterLab = require('@jupyterlab/testing/lib/jest-config');

const esModules = [
  '@codemirror',
  '@jupyter',
  '@jupyterlab',
  '@lumino',
  '@microsoft',
  'exenv-es6',
  'lib0',
  'marked',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

const baseConfig = jestJupyterLab(__dirname);

/**
 * Two projects: the extension (a browser-like environment with JupyterLab's shims) and the demo
 * portal (a Node program: plain Node environment, Node's own fetch, timers and http).
 */
module.exports = {
  reporters: ['default'],
  testTimeout: 30000,
  projects: [
    {
      ...baseConfig,
      displayName: 'extension',
      // Only our sources: without this jest crawls .venv/ and the built labextension.
      roots: ['<rootDir>/src'],
      automock: false,
      testRegex: 'src/.*__tests__/.*\\.test\\.ts$',
      testPathIgnorePatterns: ['/lib/', '/node_modules/'],
      transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
    },
    {
      displayName: 'demo',
      rootDir: __dirname,
      roots: ['<rootDir>/demo'],
      testEnvironment: 'node',
      testRegex: 'demo/__tests__/.*\\.test\\.ts$',
      testPathIgnorePatterns: ['/lib/', '/node_modules/'],
      transform: {
        '^.+\\.tsx?$': ['ts-jest', { tsconfig: './tsconfig.test.json' }]
      }
    }
  ]
};
