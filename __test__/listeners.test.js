'use strict'

// Listeners (docs/API.md §7, §3 isolation): registration, removal, chaining, validation, late
// registration, and throwing listeners/callbacks that must neither stop the upload nor the
// other listeners, and are reported as process warnings.
//
// Most uploads here go to a slowly reading endpoint, so that the body takes a moment and each
// test checks only what its title says. Whether listeners registered in the same tick as
// uploadFile() can miss events is checked on its own, by the two "same tick" tests.

const path = require('node:path')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { within } = require('../testing')
const { spawnNode, FIXTURES } = require('./helpers/child.js')
const { recordWarnings } = require('./helpers/callbacks.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { deferred, nextMacrotask, staysPending } = require('./helpers/wait.js')

const server = useServer(test)
// Larger than what the kernel's socket buffers take in at once, so that slow reading matters.
const file = useTempFile(test, 16 * 1024 * 1024, { name: 'listen.bin' })
// 256 KiB: sent at once, for the "same tick" tests.
const small = useTempFile(test, 256 * 1024, { name: 'small.bin' })

/** A slow reader: 2 ms per chunk read. */
const SLOW = { readDelayMs: 2 }

/** An upload of `file` to a fresh slow endpoint. */
function upload(extra) {
  return uploadFile({ url: server.endpoint(SLOW).url, filePath: file.path, name: 'file', ...extra })
}

/**
 * Listeners that must never be called: `listener()` makes a new one each time (registering one
 * function twice may count once), `count` counts their calls, `first` resolves at the first.
 */
function lateCalls() {
  const first = deferred()
  const late = {
    count: 0,
    first: first.promise,
    listener: () => () => {
      late.count++
      first.resolve()
    },
  }
  return late
}

const KINDS = [
  { on: 'onProgressUpdate', off: 'offProgressUpdate', alias: 'progress' },
  { on: 'onHeadersReceived', off: 'offHeadersReceived', alias: 'headersReceive' },
]

test('on*/off* and the aliases return the same promise, so calls chain', async (t) => {
  const task = upload()
  const fn = () => {}
  for (const method of [
    'onProgressUpdate',
    'offProgressUpdate',
    'onHeadersReceived',
    'offHeadersReceived',
    'progress',
    'headersReceive',
  ]) {
    t.is(task[method](fn), task, method)
    t.is(task[method](), task, `${method}()`)
  }
  let progress = 0
  let headers = 0
  const result = await upload()
    .progress(() => progress++)
    .headersReceive(() => headers++)
    .then((r) => r)
  t.is(result.statusCode, 200)
  t.true(progress >= 1)
  t.is(headers, 1)
  await task
})

for (const kind of KINDS) {
  test(`${kind.on}: the same function registered twice is called twice per event`, async (t) => {
    let reference = 0
    let twice = 0
    const fn = () => twice++
    const task = upload()
    task[kind.on](() => reference++)
    task[kind.on](fn)
    task[kind.alias](fn)
    await task
    t.true(reference >= 1)
    t.is(twice, 2 * reference)
  })

  test(`${kind.off}(fn) removes only the most recent registration of fn`, async (t) => {
    const calls = []
    const a = () => calls.push('a')
    const b = () => calls.push('b')
    const task = upload()
    task[kind.on](a)
    task[kind.on](b)
    task[kind.on](a)
    task[kind.off](a)
    task[kind.off](() => calls.push('unknown')) // an unknown function: silent no-op
    await task
    // Left: a (first registration), then b. Had the first a been removed, b would come first.
    t.true(calls.length >= 2)
    t.is(calls[0], 'a')
    t.is(calls.filter((c) => c === 'a').length, calls.filter((c) => c === 'b').length)
    t.false(calls.includes('unknown'))
  })

  test(`${kind.off}() removes every listener of that kind`, async (t) => {
    let removed = 0
    let added = 0
    const task = upload()
    task[kind.on](() => removed++)
    task[kind.alias](() => removed++)
    task[kind.off]()
    task[kind.on](() => added++)
    await task
    t.is(removed, 0)
    t.true(added >= 1, 'a listener added after off() still runs')
  })

  test(`${kind.on}: a falsy argument is ignored; a non-function throws TypeError synchronously`, async (t) => {
    const task = upload()
    for (const falsy of [undefined, null, false, 0, '', Number.NaN]) {
      t.is(task[kind.on](falsy), task)
      t.is(task[kind.alias](falsy), task)
    }
    for (const bad of ['fn', 1, {}, [], true, Symbol('s')]) {
      for (const method of [kind.on, kind.alias]) {
        const error = t.throws(() => task[method](bad), { instanceOf: TypeError }, `${method}(${String(bad)})`)
        t.is(error?.code, 'ERR_INVALID_ARG_TYPE')
      }
    }
    t.is((await task).statusCode, 200, 'the upload is unaffected')
  })

  test(`${kind.on}: listeners added after settlement (or inside success) are never called`, async (t) => {
    const late = lateCalls()
    const task = upload({
      success() {
        task[kind.on](late.listener())
      },
    })
    await task
    task[kind.on](late.listener())
    task[kind.alias](late.listener())
    await staysPending(late.first, 200)
    t.is(late.count, 0)
  })
}

/** Blocks this thread (the event loop) for `ms`, as long synchronous work would. */
function blockThread(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

test.serial(
  'listeners registered in the same tick as uploadFile() get the final progress event, even after slow synchronous work',
  async (t) => {
    const task = uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file' })
    blockThread(300) // still the same tick: the upload runs on other threads meanwhile
    const events = []
    task.onProgressUpdate((e) => events.push(e.progress))
    await task
    t.deepEqual(events.slice(-1), [100], 'the 100 event reached a listener registered before the tick ended')
  },
)

test.serial(
  'a headers listener registered in the same tick gets the headers event, even if the response came meanwhile',
  async (t) => {
    const { child, done } = spawnNode([path.join(FIXTURES, 'server-process.js')])
    t.teardown(async () => {
      child.stdin.end()
      await done
    })
    const url = await within(
      new Promise((resolve) => child.stdout.once('data', (text) => resolve(String(text).trim()))),
      10000,
      'the server process starting',
    )
    const log = []
    const task = uploadFile({ url, filePath: small.path, name: 'file' })
    blockThread(500) // the other process receives the body and answers meanwhile
    task.onProgressUpdate((e) => e.progress === 100 && log.push('progress 100'))
    task.onHeadersReceived(() => log.push('headers'))
    const result = await task
    t.is(result.statusCode, 200)
    t.deepEqual(log, ['progress 100', 'headers'])
  },
)

test('listeners added after abort() are never called', async (t) => {
  const late = lateCalls()
  const task = upload()
  task.abort()
  task.onProgressUpdate(late.listener())
  task.onHeadersReceived(late.listener())
  await t.throwsAsync(task, { code: 'ABORT_ERR' })
  await staysPending(late.first, 200)
  t.is(late.count, 0)
})

test.serial('throwing listeners and callbacks are isolated and reported as process warnings', async (t) => {
  const warnings = recordWarnings(t)

  const endpoint = server.endpoint(SLOW)
  const log = []
  const task = uploadFile({
    url: endpoint.url,
    filePath: file.path,
    name: 'file',
    success() {
      log.push('success')
      throw new Error('marker-success')
    },
    complete() {
      log.push('complete')
      throw new Error('marker-complete')
    },
  })
  let progressThrows = 0
  task.onProgressUpdate(() => {
    progressThrows++
    throw new Error('marker-progress')
  })
  task.onProgressUpdate((e) => e.progress === 100 && log.push('progress 100'))
  task.onHeadersReceived(() => {
    throw new Error('marker-headers')
  })
  task.onHeadersReceived(() => log.push('headers'))

  const result = await task
  t.is(result.statusCode, 200)
  t.deepEqual(log, ['progress 100', 'headers', 'success', 'complete'])
  const rec = await endpoint.received()
  t.is(rec.file.sha256, file.sha256, 'the upload went on')

  await nextMacrotask() // emitWarning emits on the next tick
  const count = (marker) => warnings.filter((w) => String(w.message).includes(marker)).length
  t.true(progressThrows >= 1)
  t.is(count('marker-progress'), progressThrows, 'one warning per throwing progress call')
  for (const marker of ['marker-success', 'marker-complete', 'marker-headers']) {
    t.is(count(marker), 1, `one warning for ${marker}`)
  }
})

test.serial('a throwing fail callback does not stop complete or the rejection', async (t) => {
  const warnings = recordWarnings(t)

  const log = []
  const task = upload({
    filePath: `${file.path}.missing`,
    fail() {
      log.push('fail')
      throw new Error('marker-fail')
    },
    complete: () => log.push('complete'),
  })
  await t.throwsAsync(task, { code: 'ENOENT' })
  t.deepEqual(log, ['fail', 'complete'])
  await nextMacrotask()
  t.is(warnings.filter((w) => String(w.message).includes('marker-fail')).length, 1)
})
