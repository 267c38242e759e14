'use strict'

/**
 * `uploadFile`: the Promise that carries the task methods, the `success` / `fail` / `complete`
 * callbacks, and listeners that can neither crash the process nor run after the task is over
 * (docs/API.md §1, §3, §7, §8).
 *
 * Nothing here is scheduled with `process.nextTick`, `setImmediate`, `queueMicrotask` or timers
 * (test runners fake those): the upload starts, and an abort settles, in a promise job.
 *
 * The `signal` option is `abort()` by another door: its `abort` event, or its being aborted
 * already when `uploadFile()` is called, cancels the task through the same function, and its
 * listener is removed at settlement, whatever the outcome (docs/API.md §8).
 *
 * Every object handed to the caller is made here, in the realm this module runs in: the native
 * side creates its values in the context that loaded the addon, which is not the caller's under
 * Jest or `node:vm` (where `res.cookies instanceof Array` would otherwise be false).
 */

const { UploadTask, ErrorCode, reportCallbackError, reportUnhandledFailure } = require('./native.js')
const { fromFailure, callSiteOf } = require('./errors.js')
const { normalize, typeName, unreadable } = require('./options.js')

/** What a thrown value says, for a warning: its stack, else the value as text. */
function describe(thrown) {
  try {
    return String(thrown?.stack || thrown)
  } catch {
    return 'a value that cannot be printed'
  }
}

/** Calls `fn(arg)`; a throw is reported as a warning (one format, owned by the native side). */
function callSafely(source, fn, arg) {
  if (!fn) return
  try {
    fn(arg)
  } catch (thrown) {
    try {
      reportCallbackError(source, describe(thrown))
    } catch {
      // The warning itself could not be emitted: nothing more can be reported.
    }
  }
}

/**
 * A response `header` object of this realm: a plain object with the same names in the same
 * order; an array value (`set-cookie`) is copied too. Values are strings, which have no realm.
 */
function ownHeader(header) {
  const copy = {}
  for (const name of Object.keys(header)) {
    const value = header[name]
    copy[name] = Array.isArray(value) ? Array.from(value) : value
  }
  return copy
}

/** A progress event of this realm (three numbers: cheap enough for every event). */
function ownProgressEvent({ progress, totalBytesSent, totalBytesExpectedToSend }) {
  return { progress, totalBytesSent, totalBytesExpectedToSend }
}

/** A headers event of this realm. */
function ownHeadersEvent({ header }) {
  return { header: ownHeader(header) }
}

/** Runs `fn` in a promise job: after the current synchronous code, before any timer. */
function soon(fn, ...args) {
  Promise.resolve().then(() => fn(...args))
}

/** `signal.reason`, or `undefined` when there is none or it cannot be read. */
function reasonOf(signal) {
  try {
    return signal.reason
  } catch {
    return undefined
  }
}

function checkListener(method, fn) {
  if (fn && typeof fn !== 'function') {
    const error = new TypeError(`${method}: the listener should be Function instead of ${typeName(fn)}`)
    error.code = ErrorCode.ERR_INVALID_ARG_TYPE
    throw error
  }
}

/**
 * Uploads a local file as `multipart/form-data`, as `Taro.uploadFile` does.
 *
 * Never throws: every problem, bad arguments included, arrives through `fail` → `complete` →
 * rejection. Returns a real Promise that also carries `abort`, `onProgressUpdate`,
 * `offProgressUpdate`, `onHeadersReceived`, `offHeadersReceived` and the aliases `progress`
 * and `headersReceive`.
 */
function uploadFile(options) {
  const callSite = callSiteOf(uploadFile) // a failure's stack ends at the caller's line
  let over = false // settled, or abort() was called: no more listener calls
  let settled = false
  let resolvePromise
  let rejectPromise
  const promise = new Promise((resolve, reject) => {
    resolvePromise = resolve
    rejectPromise = reject
  })

  let { callbacks, request, signal, failure } = normalize(options)
  // Callback-style code never sees an unhandled rejection: a failure goes to `fail` / `complete`,
  // or, when only `success` was given, to a warning (as WeChat logs it).
  const callbackStyle = Boolean(callbacks.success || callbacks.fail || callbacks.complete)
  const failureUnheard = Boolean(callbacks.success && !callbacks.fail && !callbacks.complete)
  if (callbackStyle) promise.catch(() => {})
  let native = null
  try {
    native = new UploadTask() // the deadline counts from here
  } catch (thrown) {
    failure = failure || { code: ErrorCode.ERR_NETWORK, reason: `the upload could not be created: ${describe(thrown)}` }
  }

  let unwatchSignal = null // removes the `abort` listener on `signal`

  function settle(outcome) {
    if (settled) return
    settled = true
    over = true
    if (unwatchSignal) unwatchSignal()
    if (outcome.outcome === 'success') {
      const { statusCode, data, header, cookies, profile, attempts } = outcome
      const result = {
        errMsg: 'uploadFile:ok',
        statusCode,
        data,
        header: ownHeader(header),
        cookies: Array.from(cookies),
      }
      if (profile) result.profile = { ...profile } // with `enableProfile`
      result.attempts = attempts
      callSafely('the success callback', callbacks.success, result)
      callSafely('the complete callback', callbacks.complete, result)
      resolvePromise(result)
    } else {
      const error = fromFailure(outcome, outcome.cause, callSite)
      callSafely('the fail callback', callbacks.fail, error)
      callSafely('the complete callback', callbacks.complete, error)
      if (failureUnheard) reportUnhandledFailure(error.errMsg)
      rejectPromise(error)
    }
  }

  function start() {
    if (failure) return settle(failure)
    if (over) return // aborted before it started; abort() settles
    try {
      native.start(request).then(settle, (thrown) => settle({ code: ErrorCode.ERR_NETWORK, reason: describe(thrown) }))
    } catch (thrown) {
      settle({ code: ErrorCode.ERR_NETWORK, reason: describe(thrown) })
    }
  }
  // Listeners registered and abort() called in this same tick take effect before any byte moves.
  soon(start)

  /**
   * Cancels the upload, for `abort()` and for the signal alike: the task fails with
   * `uploadFile:fail abort`, with `cause` when one is given (the signal's `reason`).
   */
  function cancel(cause) {
    if (over) return
    over = true
    if (!native) return
    const outcome = native.abort()
    soon(settle, cause === undefined ? outcome : { ...outcome, cause })
  }

  // An already aborted signal is abort() called in this tick: the native task never starts.
  // A signal that throws when read or listened to is a parameter failure, as a throwing getter is.
  if (signal && !failure) {
    try {
      if (signal.aborted) {
        cancel(reasonOf(signal))
      } else {
        const onAbort = () => cancel(reasonOf(signal))
        const listening = { once: true } // passed to both: a polyfill that takes it for `capture` still matches
        signal.addEventListener('abort', onAbort, listening)
        unwatchSignal = () => {
          try {
            signal.removeEventListener('abort', onAbort, listening)
          } catch {
            // A signal whose removeEventListener throws: once settled, onAbort does nothing.
          }
        }
      }
    } catch (thrown) {
      failure = unreadable('signal', thrown)
    }
  }

  /**
   * `on<kind>` / `off<kind>` for one kind of listener, keeping each function's native id;
   * `own(event)` copies each native event into this realm before a listener sees it.
   */
  function listenerKind(kind, own) {
    const [onMethod, offMethod] = [`on${kind}`, `off${kind}`]
    const source = `an ${onMethod} listener`
    const registrations = []
    const on = (fn) => {
      checkListener(onMethod, fn)
      if (!fn || over || !native) return promise
      const guarded = (event) => {
        if (!over) callSafely(source, fn, own(event))
      }
      registrations.push({ fn, id: native[onMethod](guarded) })
      return promise
    }
    const off = (fn) => {
      if (!native) return promise
      if (fn === undefined || fn === null) {
        registrations.length = 0
        native[offMethod]()
        return promise
      }
      const i = registrations.findLastIndex((r) => r.fn === fn)
      if (i >= 0) {
        native[offMethod](registrations[i].id)
        registrations.splice(i, 1)
      }
      return promise
    }
    return { on, off }
  }

  const progress = listenerKind('ProgressUpdate', ownProgressEvent)
  const headers = listenerKind('HeadersReceived', ownHeadersEvent)

  return Object.assign(promise, {
    /** Cancels the upload; the task fails with `uploadFile:fail abort`. No-op once settled. */
    abort() {
      cancel(undefined)
      return undefined
    },
    onProgressUpdate: progress.on,
    offProgressUpdate: progress.off,
    onHeadersReceived: headers.on,
    offHeadersReceived: headers.off,
    progress: progress.on,
    headersReceive: headers.on,
  })
}

module.exports = { uploadFile }
