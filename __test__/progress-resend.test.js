'use strict'

// The final progress event, `100`, comes once per sending of the body (docs/API.md §4): an
// upload whose body is sent again, by a 307 redirect or a retry of a 503 (§2.1, §2.3), sees it
// once for each sending, each time before the next body starts over from 0, and the last one
// before the headers of the final response.

const test = require('ava')
const { uploadFile } = require('../index.js')
const { within } = require('../testing')
const { useServer, useTempFile } = require('./helpers/setup.js')

const server = useServer(test)
const file = useTempFile(test, 256 * 1024, { name: 'resend.bin' })

/** Uploads `file` to `url`, recording progress events and the headers event in one list. */
async function uploadRecording(url, options = {}) {
  const events = []
  const task = uploadFile({ url, filePath: file.path, name: 'file', ...options })
  task.onProgressUpdate((e) => events.push(e.progress))
  task.onHeadersReceived(() => events.push('headers'))
  const res = await within(task, 15000, 'settlement')
  return { res, events }
}

/** Checks two sendings: `100`, then a restart below 100, then `100` again, then the headers. */
function assertTwoSendings(t, events) {
  t.is(events.filter((e) => e === 100).length, 2, `events: ${events}`)
  const first = events.indexOf(100)
  t.true(events[first + 1] !== 'headers' && events[first + 1] <= 100, `events: ${events}`)
  t.deepEqual(events.slice(-2), [100, 'headers'], `events: ${events}`)
}

test('a 307 redirect: 100 once for each of the two bodies', async (t) => {
  const target = server.endpoint()
  const first = server.endpoint({ status: 307, headers: { location: target.url } })
  const { res, events } = await uploadRecording(first.url)
  t.is(res.statusCode, 200)
  t.is((await target.received()).file.bytes, file.size)
  assertTwoSendings(t, events)
})

test('a retried 503: 100 once for each attempt', async (t) => {
  const busy = server.endpoint({ status: 503, body: 'busy' })
  const { res, events } = await uploadRecording(busy.url, { retry: { limit: 1, backoff: 10 } })
  t.is(res.statusCode, 503)
  t.is(res.attempts, 2)
  t.is(busy.records().length, 2)
  assertTwoSendings(t, events)
})
