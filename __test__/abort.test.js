'use strict'

// abort() (docs/API.md §8): before anything was sent, mid-body, while awaiting the response,
// after settlement, twice.

const test = require('ava')
const { uploadFile } = require('../index.js')
const { within } = require('../testing')
const { assertAbortError, assertClosedEarly, heldMidBody } = require('./helpers/assert.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { staysPending } = require('./helpers/wait.js')

const MiB = 1024 * 1024

const server = useServer(test)
const small = useTempFile(test, 1 * MiB, { name: 'small.bin' })
const large = useTempFile(test, 64 * MiB, { name: 'large.bin' })

test('abort() right after uploadFile(): rejects with AbortError and no body byte reaches the server', async (t) => {
  const endpoint = server.endpoint()
  const log = []
  const task = uploadFile({
    url: endpoint.url,
    filePath: small.path,
    name: 'file',
    success: () => log.push('success'),
    fail: () => log.push('fail'),
    complete: () => log.push('complete'),
  })
  t.is(task.abort(), undefined)
  const error = await t.throwsAsync(within(task, 1000, 'the abort rejection'))
  assertAbortError(t, error)
  t.deepEqual(log, ['fail', 'complete'])

  // A later upload on the same server completes first; only then look at what arrived.
  await uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file' })
  const arrived = endpoint.records()
  t.true(arrived.length <= 1)
  for (const rec of arrived) t.is(rec.bytesReceived, 0, 'a request may start, but carries no body byte')
})

test.serial(
  'abort() in the same tick as uploadFile(), even after slow synchronous work, sends no body byte',
  async (t) => {
    const endpoint = server.endpoint()
    const task = uploadFile({ url: endpoint.url, filePath: small.path, name: 'file' })
    // Synchronous work before abort(), still in the same tick (as a preempted thread would be).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300)
    task.abort()
    assertAbortError(t, await t.throwsAsync(task))
    await uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file' })
    const arrived = endpoint.records()
    for (const rec of arrived) {
      await within(rec.finished, 5000, 'the end of the aborted request')
      t.is(rec.bytesReceived, 0, `${rec.bytesReceived} body bytes of an upload aborted in its first tick arrived`)
    }
  },
)

test.serial(
  'abort() mid-upload: the server sees the connection close before the whole body; no progress after abort()',
  async (t) => {
    const endpoint = server.endpoint({ readDelayMs: 20 }) // a slow reader
    const task = uploadFile({ url: endpoint.url, filePath: large.path, name: 'file' })
    const { rec, watch } = await heldMidBody(t, task, endpoint)

    t.is(task.abort(), undefined)
    watch.stop()
    const error = await t.throwsAsync(within(task, 1000, 'the abort rejection'))
    assertAbortError(t, error)

    await assertClosedEarly(t, rec, large.size)
    await staysPending(watch.lateEvent, 200)
    t.is(watch.late, 0, 'no progress event after abort() returned')
    t.log(`${watch.events} progress event(s) before abort, ${rec.bytesReceived} bytes received`)
  },
)

test('abort() while waiting for the response rejects and closes the connection', async (t) => {
  const endpoint = server.endpoint({ respond: false })
  const task = uploadFile({ url: endpoint.url, filePath: small.path, name: 'file' })
  const rec = await within(endpoint.received(), 10000, 'the server receiving the whole body')
  t.true(rec.completed)
  task.abort()
  assertAbortError(t, await t.throwsAsync(within(task, 1000, 'the abort rejection')))
  await within(rec.socketClosed, 5000, 'the connection closing')
})

test('abort() after success is a no-op: returns undefined, the promise stays resolved', async (t) => {
  const log = []
  const task = uploadFile({
    url: server.endpoint().url,
    filePath: small.path,
    name: 'file',
    success: () => log.push('success'),
    fail: () => log.push('fail'),
    complete: () => log.push('complete'),
  })
  const result = await task
  t.is(task.abort(), undefined)
  t.is(task.abort(), undefined)
  t.is(await task, result)
  await new Promise((resolve) => setImmediate(resolve))
  t.deepEqual(log, ['success', 'complete'])
})

test('abort() twice settles once', async (t) => {
  const log = []
  const task = uploadFile({
    url: server.endpoint({ respond: false }).url,
    filePath: small.path,
    name: 'file',
    fail: () => log.push('fail'),
    complete: () => log.push('complete'),
  })
  t.is(task.abort(), undefined)
  t.is(task.abort(), undefined)
  assertAbortError(t, await t.throwsAsync(task))
  await new Promise((resolve) => setImmediate(resolve))
  t.deepEqual(log, ['fail', 'complete'])
})

test('abort() after a failure is a no-op', async (t) => {
  const task = uploadFile({ url: server.endpoint().url, filePath: `${small.path}.missing`, name: 'file' })
  const error = await t.throwsAsync(task, { code: 'ENOENT' })
  t.is(task.abort(), undefined)
  t.is(await task.catch((e) => e), error)
})
