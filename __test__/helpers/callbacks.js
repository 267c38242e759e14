'use strict'

/** Callbacks in tests: uploads whose callbacks log their calls in order, and the process warnings. */

const { uploadFile } = require('../../index.js')

/**
 * `uploadFile(options)` with `success`, `fail` and `complete` callbacks that push `['success']`,
 * `['fail', e]` and `['complete', e]` to `log` as they are called.
 * @param {Parameters<typeof uploadFile>[0]} options
 */
function loggedUpload(options) {
  const log = []
  const task = uploadFile({
    ...options,
    success: () => log.push(['success']),
    fail: (e) => log.push(['fail', e]),
    complete: (e) => log.push(['complete', e]),
  })
  return { task, log }
}

/**
 * The process warnings emitted from now until the test ends (`process.emitWarning` emits on the
 * next tick: wait a macrotask before reading them).
 * @param {import('ava').ExecutionContext} t
 * @returns {Error[]}
 */
function recordWarnings(t) {
  const warnings = []
  const onWarning = (warning) => warnings.push(warning)
  process.on('warning', onWarning)
  t.teardown(() => process.off('warning', onWarning))
  return warnings
}

module.exports = { loggedUpload, recordWarnings }
