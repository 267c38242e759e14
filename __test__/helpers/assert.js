'use strict'

/** Assertions shared by test files. */

/** Checks the shape of the abort rejection (docs/API.md §8, §9.1). */
function assertAbortError(t, error) {
  t.true(error instanceof Error)
  t.is(error.errMsg, 'uploadFile:fail abort')
  t.is(error.message, error.errMsg)
  t.is(error.code, 'ABORT_ERR')
  t.is(error.name, 'AbortError')
}

module.exports = { assertAbortError }
