'use strict'

// maxBytesPerSecond (docs/API.md §2): the body is paced to the rate, within 10 % over a few
// seconds, and progress keeps flowing while it is; bad values are parameter errors.

const test = require('ava')
const { uploadFile } = require('../index.js')
const { within } = require('../testing')
const { useServer, useTempFile } = require('./helpers/setup.js')

const MiB = 1024 * 1024
const server = useServer(test)
const file = useTempFile(test, 3 * MiB, { name: 'paced.bin' })

test('a 3 MiB body at 1 MiB/s: the rate holds within 10 %, progress flows, the bytes arrive', async (t) => {
  const rate = MiB
  const endpoint = server.endpoint()
  const task = uploadFile({ url: endpoint.url, filePath: file.path, name: 'file', maxBytesPerSecond: rate })
  const events = []
  task.onProgressUpdate((e) => events.push({ at: performance.now(), sent: e.totalBytesSent }))
  const res = await within(task, 20000, 'the paced upload')
  t.is(res.statusCode, 200)
  const rec = await endpoint.received()
  t.is(rec.file.sha256, file.sha256)

  // The steady pace: from the first event after half a second to the last one.
  const first = events.find((e) => e.at - events[0].at >= 500)
  const last = events[events.length - 1]
  const measured = ((last.sent - first.sent) * 1000) / (last.at - first.at)
  t.log(`${events.length} events; ${(measured / MiB).toFixed(3)} MiB/s against a limit of 1 MiB/s`)
  t.true(measured <= rate * 1.1, 'no faster than the limit (+10 %)')
  t.true(measured >= rate * 0.9, 'not much slower than the limit (-10 %)')
  const gaps = events.slice(1).map((e, i) => e.at - events[i].at)
  t.true(events.length >= 10, 'progress kept flowing')
  t.true(Math.max(...gaps) < 500, `no long silence between events (longest ${Math.round(Math.max(...gaps))} ms)`)
})

test('maxBytesPerSecond values: negative or NaN is ERR_INVALID_ARG_VALUE, a string ERR_INVALID_ARG_TYPE, 0, null and Infinity full speed', async (t) => {
  for (const maxBytesPerSecond of [-1, Number.NaN]) {
    const error = await t.throwsAsync(
      uploadFile({ url: server.endpoint().url, filePath: file.path, name: 'file', maxBytesPerSecond }),
    )
    t.is(error.code, 'ERR_INVALID_ARG_VALUE')
    t.regex(error.errMsg, /parameter\.maxBytesPerSecond/)
  }
  const error = await t.throwsAsync(
    uploadFile({ url: server.endpoint().url, filePath: file.path, name: 'file', maxBytesPerSecond: '1' }),
  )
  t.is(error.errMsg, 'uploadFile:fail parameter error: parameter.maxBytesPerSecond should be Number instead of String')
  for (const maxBytesPerSecond of [0, null, Number.POSITIVE_INFINITY]) {
    const res = await uploadFile({ url: server.endpoint().url, filePath: file.path, name: 'file', maxBytesPerSecond })
    t.is(res.statusCode, 200)
  }
})
