'use strict'

/**
 * Jest configuration of the package's Jest suite (`npm run test:jest`, docs/TESTING.md): the
 * tests in `__jest__/` only. ava owns `__test__/` (package.json "ava.files"), and neither runner
 * sees the other's files.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__jest__'],
  testMatch: ['**/*.test.js'],
  // Two workers, so that test files run in separate processes at the same time. Jest still runs
  // in band (one process) when its cache says every file took under a second: both must work.
  maxWorkers: 2,
  testTimeout: 30000,
}
