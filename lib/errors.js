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

/**
 * The stack of the code that is calling `fn`, taken now (cheap: V8 formats it only when it is
 * read), to be added to an `UploadError` that is made later, when the upload settles.
 * @param {Function} fn the API function being called; it and the frames above it are left out
 * @returns {{ stack?: string }}
 */
function callSiteOf(fn) {
  const callSite = {}
  Error.captureStackTrace(callSite, fn)
  return callSite
}

/**
 * Appends the frames of `callSite` to `error.stack`, so that the stack of an error made in a
 * promise job ends at the line that called the API, as undici and got do for their async errors.
 */
function addCallSite(error, callSite) {
  if (!callSite) return
  try {
    const frames = String(callSite.stack).split('\n').slice(1) // the first line is the header
    if (frames.length > 0) error.stack = `${error.stack}\n${frames.join('\n')}`
  } catch {
    // A stack that cannot be read or written: the error keeps its own.
  }
}

/**
 * The `UploadError` of a native failure outcome `{ code, reason, phase?, attempts? }`; its stack
 * ends with the frames of `callSite` (from `callSiteOf`) when one is given.
 */
function fromFailure({ code, reason, phase, attempts }, cause, callSite) {
  const error = new UploadError(code, reason, cause === undefined ? undefined : { cause })
  if (phase) error.phase = phase // where a timeout caught the upload
  error.attempts = attempts ?? 0 // how many times the upload was sent (0: failed before)
  addCallSite(error, callSite)
  return error
}

module.exports = { UploadError, isUploadError, fromFailure, callSiteOf }
