'use strict'

// Large uploads (serial: they share one 512 MiB file and are memory- and CPU-heavy):
// byte-exact delivery with an exact Content-Length, progress events (docs/API.md §4), the order
// of progress → headers → success → complete → resolve, and constant memory in a child process.

const test = require('ava')
const { uploadFile } = require('../index.js')
const { makeTempFile, sha256File, within } = require('../testing')
const { jsonLine, runFixture } = require('./helpers/child.js')
const { useServer, useTempFile } = require('./helpers/setup.js')

const MiB = 1024 * 1024

const server = useServer(test)
// 512 MiB, shared by the progress and memory tests.
const big = useTempFile(test, 512 * MiB, { name: 'big.bin' })

test.serial(
  'a 64 MiB file arrives byte-exact with its fields; Content-Length == expected total == bytes received',
  async (t) => {
    const file = await makeTempFile(64 * MiB, { name: 'picture.png' })
    t.teardown(() => file.remove())
    t.is(await sha256File(file.path), file.sha256, 'the file on disk is what was hashed')
    const endpoint = server.endpoint()
    const events = []
    const result = await uploadFile({
      url: endpoint.url,
      filePath: file.path,
      name: 'photo',
      formData: { title: 'Holiday', count: 3, public: false, meta: { w: 1, h: [2] }, skipped: null, gone: undefined },
    }).onProgressUpdate((e) => events.push(e))

    t.is(result.errMsg, 'uploadFile:ok')
    t.is(result.statusCode, 200)
    const rec = await endpoint.received()
    t.true(rec.completed)
    t.false(rec.closedEarly)
    t.is(rec.parseError, undefined)
    t.is(rec.files.length, 1)
    t.is(rec.file.field, 'photo')
    t.is(rec.file.filename, 'picture.png')
    t.is(rec.file.mimeType, 'image/png')
    t.is(rec.file.bytes, file.size)
    t.is(rec.file.sha256, file.sha256)
    t.deepEqual(rec.fields, [
      ['title', 'Holiday'],
      ['count', '3'],
      ['public', 'false'],
      ['meta', '{"w":1,"h":[2]}'],
    ])

    t.is(rec.headers['transfer-encoding'], undefined)
    const last = events.at(-1)
    t.truthy(last, 'at least one progress event')
    t.is(rec.headers['content-length'], String(rec.bytesReceived))
    t.is(last.totalBytesExpectedToSend, rec.bytesReceived)
    t.is(last.totalBytesSent, rec.bytesReceived)
    t.is(last.progress, 100)

    // The server's JSON summary is the response body.
    t.deepEqual(JSON.parse(result.data).file, rec.file)
  },
)

test.serial(
  '512 MiB: progress events are well-formed, throttled, and ordered before headers, success, complete and resolve',
  async (t) => {
    const endpoint = server.endpoint()
    const log = []
    const events = []
    const task = uploadFile({
      url: endpoint.url,
      filePath: big.path,
      name: 'file',
      timeout: Infinity,
      success: () => log.push('success'),
      fail: (error) => log.push(`fail ${error.errMsg}`),
      complete: () => log.push('complete'),
    })
    task.onProgressUpdate((e) => {
      events.push(e)
      if (e.progress === 100) log.push('progress 100')
    })
    task.onHeadersReceived(() => log.push('headers'))
    const result = await within(task, 90000, 'the 512 MiB upload')
    log.push('resolved')

    t.is(result.statusCode, 200)
    t.deepEqual(log, ['progress 100', 'headers', 'success', 'complete', 'resolved'])

    const rec = await endpoint.received()
    t.is(rec.file.sha256, big.sha256)
    const total = rec.bytesReceived

    t.true(events.length >= 1)
    t.true(events.length <= 400, `${events.length} events`)
    let previous = { progress: 0, totalBytesSent: 0 }
    for (const e of events) {
      t.deepEqual(Object.keys(e).sort(), ['progress', 'totalBytesExpectedToSend', 'totalBytesSent'])
      for (const key of Object.keys(e)) t.is(typeof e[key], 'number', `${key} is a plain number`)
      t.true(Number.isInteger(e.progress) && e.progress >= 0 && e.progress <= 100, `progress ${e.progress}`)
      t.true(Number.isInteger(e.totalBytesSent))
      t.is(e.totalBytesExpectedToSend, total)
      t.is(e.progress, Math.floor((e.totalBytesSent * 100) / total))
      t.true(e.progress >= previous.progress, 'progress never decreases')
      t.true(e.totalBytesSent >= previous.totalBytesSent, 'totalBytesSent never decreases')
      previous = e
    }
    t.is(events.filter((e) => e.progress === 100).length, 1, 'exactly one 100')
    t.is(events.at(-1).progress, 100, '100 is the last event')
    t.is(events.at(-1).totalBytesSent, total)
  },
)

test.serial('512 MiB upload in a child process raises its peak RSS by less than 64 MiB', async (t) => {
  const endpoint = server.endpoint()
  const m = jsonLine(t, await runFixture('memory.js', [endpoint.url, big.path], { timeoutMs: 90000 }))
  t.is(m.statusCode, 200)
  const rec = await endpoint.received()
  t.is(rec.file.sha256, big.sha256, 'the whole file was sent')

  const grewBy = m.peak - m.baseline
  const hwmGrewBy = m.hwmAfter - m.hwmBefore
  t.log(
    `sampled peak +${(grewBy / MiB).toFixed(1)} MiB, VmHWM +${(hwmGrewBy / MiB).toFixed(1)} MiB, ${m.events} events`,
  )
  t.true(grewBy < 64 * MiB, `sampled RSS grew by ${grewBy} bytes`)
  t.true(hwmGrewBy < 64 * MiB, `VmHWM grew by ${hwmGrewBy} bytes`)
})
