'use strict'

/** Assertions shared by test files. */

const { uploadFile } = require('../../index.js')
const { within } = require('../../testing')
const { deferred, resultOf, staysPending } = require('./wait.js')

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
 * record and a progress watch: `events` counts every event, `late` those after `stop()`, and
 * `lateEvent` resolves at the first of those.
 */
async function heldMidBody(t, task, endpoint) {
  const late = deferred()
  const watch = {
    events: 0,
    late: 0,
    lateEvent: late.promise,
    stopped: false,
    stop() {
      this.stopped = true
    },
  }
  const firstEvent = new Promise((resolve) => {
    task.onProgressUpdate((e) => {
      watch.events++
      if (watch.stopped) {
        watch.late++
        late.resolve()
      }
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

/**
 * That no request ever reached `endpoints` (one endpoint of the recording `server`, or a list):
 * no `arrived` event comes within `ms`, and a later upload of `filePath` to the same server
 * completes without a record for any of them appearing.
 * @param {import('ava').ExecutionContext} t
 * @param {import('../../testing').TestServer} server
 * @param {import('../../testing').Endpoint | import('../../testing').Endpoint[]} endpoints
 * @param {string} filePath
 */
async function assertNothingArrived(t, server, endpoints, filePath, ms = 300) {
  const list = [endpoints].flat()
  const anyArrived = Promise.race(list.map((endpoint) => endpoint.arrived))
  t.true(await staysPending(anyArrived, ms), `a request arrived within ${ms} ms`)
  await resultOf(uploadFile({ url: server.endpoint().url, filePath, name: 'file' }))
  for (const endpoint of list) {
    t.deepEqual(endpoint.records(), [], 'no request reached the endpoint')
    t.false(
      server.records.some((rec) => rec.id === endpoint.id),
      'the server recorded no request for it',
    )
  }
}

module.exports = { assertAbortError, heldMidBody, assertClosedEarly, assertNothingArrived }
