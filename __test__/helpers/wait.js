'use strict'

/**
 * Waiting in tests, always bounded: for an upload's outcome, for a condition (a poll), and for an
 * event that must not come (a check that "nothing arrived" waits on the event itself, so it fails
 * as soon as the event comes, instead of sleeping and looking afterwards).
 */

// Node's own timers, not the global ones: real time also under Jest's fake timers.
const { clearTimeout, setImmediate, setTimeout } = require('node:timers')
const { setTimeout: delay } = require('node:timers/promises')
const { deferred, within } = require('../../testing/wait.js')

/** How long an upload may take to settle unless a test says otherwise (ms). */
const SETTLEMENT_MS = 15000

/**
 * The outcome of `task` (an upload, or any promise), bounded: `{ res }` when it resolved,
 * `{ error }` when it rejected; rejects when it did not settle within `ms`.
 * @template T
 * @param {PromiseLike<T>} task
 * @returns {Promise<{ res: T, error?: undefined } | { res?: undefined, error: any }>}
 */
function outcomeOf(task, ms = SETTLEMENT_MS, what = 'the settlement of the upload') {
  return within(
    Promise.resolve(task).then(
      (res) => ({ res }),
      (error) => ({ error }),
    ),
    ms,
    what,
  )
}

/** The rejection of `task`, bounded; throws (failing the test) when it succeeded instead. */
async function failureOf(task, ms = SETTLEMENT_MS) {
  const { res, error } = await outcomeOf(task, ms)
  if (error === undefined) {
    throw new Error(`the upload succeeded (status ${res?.statusCode}, ${res?.data?.length} bytes of data)`)
  }
  return error
}

/** The result of `task`, bounded; throws (failing the test) when it failed instead. */
async function resultOf(task, ms = SETTLEMENT_MS) {
  const { res, error } = await outcomeOf(task, ms)
  if (error !== undefined) throw new Error(`the upload failed: ${error?.code} ${error?.errMsg ?? error}`)
  return res
}

/** Polls `check()` every 20 ms until it is truthy; rejects after `ms` naming `what`. */
async function until(check, ms, what) {
  const deadline = Date.now() + ms
  for (;;) {
    if (check()) return
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`)
    await delay(20)
  }
}

/**
 * Whether `promise` is still pending after `ms`: resolves `false` as soon as it settles (the
 * event that must not come came), `true` when `ms` passed first.
 * @param {Promise<unknown>} promise
 * @param {number} ms
 * @returns {Promise<boolean>}
 */
function staysPending(promise, ms) {
  let timer
  const quiet = new Promise((resolve) => {
    timer = setTimeout(() => resolve(true), ms)
  })
  const settled = promise.then(
    () => false,
    () => false,
  )
  return Promise.race([settled, quiet]).finally(() => clearTimeout(timer))
}

/** Resolves in the next turn of the event loop, after the I/O callbacks already due. */
const nextMacrotask = () => new Promise((resolve) => setImmediate(resolve))

module.exports = { deferred, within, outcomeOf, failureOf, resultOf, until, staysPending, nextMacrotask }
