'use strict'

// The default deadline covers the whole upload, sending the body included (README, "Coming from
// got, axios or curl"; docs/API.md §2): an upload to a slow receiver fails with ETIMEDOUT,
// `phase: 'send'`, while its progress is still moving; with `timeout: Infinity` and an
// `idleTimeout`, the same upload, which takes longer than that deadline, succeeds.

const test = require('ava')
const { uploadFile } = require('../index.js')
const { within } = require('../testing')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { failureOf } = require('./helpers/wait.js')

const server = useServer(test)
const file = useTempFile(test, 16 * 1024 * 1024, { name: 'large.bin' })
const DEADLINE = 700 // ms: far less than the slow receiver below needs for the file

/** An endpoint that reads 16 KiB every 2 ms (about 8 MiB/s): the file takes two seconds or more. */
const slowReceiver = () => server.endpoint({ readDelayMs: 2 })

test('the deadline counts the time the body takes: ETIMEDOUT in phase send, while progress moves', async (t) => {
  const progress = []
  const task = uploadFile({ url: slowReceiver().url, filePath: file.path, name: 'file', timeout: DEADLINE })
  task.onProgressUpdate((e) => progress.push(e.progress))
  const error = await failureOf(task)
  t.is(error.code, 'ETIMEDOUT')
  t.is(error.phase, 'send')
  t.true(progress.length > 0 && progress.at(-1) > 0 && progress.at(-1) < 100, `progress: ${progress}`)
})

test('timeout: Infinity with idleTimeout: the same slow upload outlives that deadline and succeeds', async (t) => {
  const endpoint = slowReceiver()
  const started = performance.now()
  const res = await within(
    uploadFile({ url: endpoint.url, filePath: file.path, name: 'file', timeout: Infinity, idleTimeout: 5000 }),
    60000,
    'the slow upload',
  )
  const took = performance.now() - started
  t.is(res.statusCode, 200)
  t.is((await endpoint.received()).file.sha256, file.sha256)
  t.true(took > DEADLINE, `took ${Math.round(took)} ms`)
})
