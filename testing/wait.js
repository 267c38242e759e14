'use strict'

/** Small promise helpers. */

// Node's own timers, not the global ones: `within` keeps real time under fake timers (Jest).
const { setTimeout, clearTimeout } = require('node:timers')

/**
 * A promise plus its resolve function.
 * @template T
 * @returns {{ promise: Promise<T>, resolve: (value?: T) => void }}
 */
function deferred() {
  let resolve
  const promise = new Promise((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/**
 * Waits at most `ms` (real time, also under fake timers) for `promise`; rejects with
 * "<what> did not happen within <ms> ms" otherwise.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} what  what is awaited, for the error message
 * @returns {Promise<T>}
 */
function within(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

module.exports = { deferred, within }
