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

// Reporters and coverage are global options, not per-project ones.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { coverageReporters, reporters, testTimeout, ...baseConfig } =
  jestJupyterLab(__dirname);

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
      testPathIgnorePatterns: ['/lib/', '/node_modules/', '/src/portals/'],
      transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
    },
    {
      // The portal clients talk HTTP to the demo portal started in-process: Node's fetch.
      displayName: 'portal-clients',
      rootDir: __dirname,
      roots: ['<rootDir>/src/portals'],
      testEnvironment: 'node',
      testRegex: 'src/portals/__tests__/.*\\.test\\.ts$',
      testPathIgnorePatterns: ['/lib/', '/node_modules/'],
      transform: {
        '^.+\\.tsx?$': ['ts-jest', { tsconfig: './tsconfig.test.json' }]
      }
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
