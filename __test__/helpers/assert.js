'use strict'

/** Assertions shared by test files. */

const { within } = require('../../testing')

/** Checks the shape of the abort rejection (docs/API.md §8, §9.1). */
function assertAbortError(t, error) {
  t.true(error instanceof Error)
  t.is(error.errMsg, 'uploadFile:fail abort')
  t.is(error.message, error.errMsg)
  t.is(error.code, 'ABORT_ERR')
  t.is(error.name, 'AbortError')
}

/**
 * Waits until `task` is held mid-body by a slow-reading endpoint (`readDelayMs`): the request
 * arrived, a first progress event below 100 came, the body is not complete. Returns the request's
 * record and a progress watch: `events` counts every event, `late` those after `stop()`.
 */
async function heldMidBody(t, task, endpoint) {
  const watch = {
    events: 0,
    late: 0,
    stopped: false,
    stop() {
      this.stopped = true
    },
  }
  const firstEvent = new Promise((resolve) => {
    task.onProgressUpdate((e) => {
      watch.events++
      if (watch.stopped) watch.late++
      resolve(e)
    })
  })
  const rec = await within(endpoint.arrived, 10000, 'the request arriving')
  const first = await within(firstEvent, 10000, 'a first progress event')
  t.true(first.progress < 100, 'the slow server holds the client mid-body')
  t.false(rec.completed)
  return { rec, watch }
}

/** After an abort mid-body: the server reads what is still buffered, then sees the close before the body's end. */
async function assertClosedEarly(t, rec, fileSize) {
  rec.unthrottle() // read what is still buffered at full speed, up to the close
  await within(rec.finished, 10000, 'the server seeing the end of the request')
  t.true(rec.closedEarly, 'the connection closed before the body ended')
  t.false(rec.completed)
  t.true(rec.bytesReceived < fileSize, `${rec.bytesReceived} bytes received`)
}

module.exports = { assertAbortError, heldMidBody, assertClosedEarly }
