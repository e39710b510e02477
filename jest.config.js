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

module.exports = {
  ...baseConfig,
  // Only our sources: without this jest crawls .venv/ and the built labextension.
  roots: ['<rootDir>/src', '<rootDir>/demo'],
  automock: false,
  reporters: ['default'],
  testRegex: '(src|demo)/.*__tests__/.*\\.test\\.ts$',
  testPathIgnorePatterns: ['/lib/', '/node_modules/'],
  testTimeout: 30000,
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
};
