'use strict'

/**
 * The error every failed upload rejects with. The codes are owned by the native `ErrorCode`
 * enum (src/error.rs); the rules are in docs/API.md §9.
 */

const { ErrorCode } = require('./native.js')

/** The prefix of every `errMsg` of a failure (WeChat's wording). */
const FAIL_PREFIX = 'uploadFile:fail '

/**
 * Marks `UploadError`s of every copy of this package in the process (a test runner's
 * `resetModules`, two installed versions), so that `isUploadError` recognises them all.
 */
const BRAND = Symbol.for('upload-task.UploadError')

/**
 * A failed upload: `message === errMsg === 'uploadFile:fail <reason>'`, a stable `code`, and
 * `cause` when an underlying error is known. `name` is `'UploadError'`, or `'AbortError'` for an
 * abort (as DOM `AbortError`s are named).
 */
class UploadError extends Error {
  /**
   * @param {string} code one of `ErrorCode`'s values
   * @param {string} reason what follows `uploadFile:fail `
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, reason, options) {
    super(`${FAIL_PREFIX}${reason}`, options)
    this.errMsg = this.message
    this.code = code
    if (code === ErrorCode.ABORT_ERR) {
      Object.defineProperty(this, 'name', { value: 'AbortError', configurable: true, writable: true })
    }
  }
}
Object.defineProperty(UploadError.prototype, 'name', { value: 'UploadError', configurable: true, writable: true })
Object.defineProperty(UploadError.prototype, BRAND, { value: true })

/** Whether `value` is an `UploadError`, made by this copy of the package or another one. */
function isUploadError(value) {
  return value instanceof UploadError || (typeof value === 'object' && value !== null && value[BRAND] === true)
}

/** The `UploadError` of a native failure outcome `{ code, reason, phase? }`. */
function fromFailure({ code, reason, phase }, cause) {
  const error = new UploadError(code, reason, cause === undefined ? undefined : { cause })
  if (phase) error.phase = phase // where a timeout caught the upload
  return error
}

module.exports = { UploadError, isUploadError, fromFailure }
