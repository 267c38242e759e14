'use strict'

// The `signal` option (docs/API.md §2, §8): an AbortSignal whose abort is `abort()`. Already
// aborted: nothing is sent, not even a request. Aborted mid-upload: the connection closes early.
// The listener on the signal is removed at settlement, whatever the outcome. Any object that
// looks like an AbortSignal is accepted (other realms, polyfills); anything else is a type error.

const { getEventListeners } = require('node:events')
const vm = require('node:vm')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { within, closedPort } = require('../testing')
const { assertAbortError, assertClosedEarly, assertNothingArrived, heldMidBody } = require('./helpers/assert.js')
const { loggedUpload, recordWarnings } = require('./helpers/callbacks.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { nextMacrotask, staysPending } = require('./helpers/wait.js')

const MiB = 1024 * 1024
const PREFIX = 'uploadFile:fail '

const server = useServer(test)
const small = useTempFile(test, 256 * 1024, { name: 'small.bin' })
// Larger than what the kernel's socket buffers take in at once, so that a slow reader holds it.
const large = useTempFile(test, 32 * MiB, { name: 'large.bin' })

/** How many `abort` listeners a real AbortSignal holds. */
const listenerCount = (signal) => getEventListeners(signal, 'abort').length

/**
 * An AbortSignal look-alike (as polyfills make them) that records every add/removeEventListener
 * call; `abort(reason)` dispatches to the listeners as a real signal does.
 */
function observedSignal() {
  const listeners = new Set()
  const calls = []
  const signal = {
    aborted: false,
    reason: undefined,
    addEventListener(type, fn, options) {
      calls.push(['add', type, fn, options])
      if (type === 'abort') listeners.add(fn)
    },
    removeEventListener(type, fn, options) {
      calls.push(['remove', type, fn, options])
      if (type === 'abort') listeners.delete(fn)
    },
  }
  const abort = (reason) => {
    signal.aborted = true
    signal.reason = reason
    for (const fn of [...listeners]) {
      listeners.delete(fn) // { once: true }
      fn.call(signal, { type: 'abort' })
    }
  }
  return { signal, calls, listeners, abort }
}

/** Checks that `calls` is one `add` of an `abort` listener and one `remove` of that same one. */
function assertAddedThenRemoved(t, calls) {
  t.is(calls.length, 2, JSON.stringify(calls.map((c) => c.slice(0, 2))))
  const [[add, addType, fn], [remove, removeType, removed]] = calls
  t.deepEqual([add, addType, remove, removeType], ['add', 'abort', 'remove', 'abort'])
  t.is(typeof fn, 'function')
  t.is(removed, fn, 'the very listener that was added is removed')
}

// ---------------------------------------------------------------------------------------------
// An already aborted signal

test('an already aborted signal: rejects with AbortError and the server receives no request at all', async (t) => {
  const endpoint = server.endpoint()
  const controller = new AbortController()
  controller.abort()
  const { task, log } = loggedUpload({
    url: endpoint.url,
    filePath: small.path,
    name: 'file',
    signal: controller.signal,
  })
  const progress = []
  task.onProgressUpdate((e) => progress.push(e))
  const error = await t.throwsAsync(within(task, 1000, 'the abort rejection'))
  assertAbortError(t, error)
  t.deepEqual(log, [
    ['fail', error],
    ['complete', error],
  ])
  t.is(error.cause, controller.signal.reason, "the signal's reason is the cause")
  t.is(listenerCount(controller.signal), 0, 'no listener is left on an already aborted signal')
  await assertNothingArrived(t, server, endpoint, small.path)
  t.deepEqual(progress, [])
})

test('an already aborted signal is abort() in the same tick: same errMsg, code and name', async (t) => {
  const viaAbort = uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file' })
  viaAbort.abort()
  const viaSignal = uploadFile({
    url: server.endpoint().url,
    filePath: small.path,
    name: 'file',
    signal: AbortSignal.abort(),
  })
  const [a, b] = await Promise.all([t.throwsAsync(viaAbort), t.throwsAsync(viaSignal)])
  for (const key of ['errMsg', 'message', 'code', 'name']) t.is(b[key], a[key], key)
  t.is(Object.getPrototypeOf(b), Object.getPrototypeOf(a))
  t.deepEqual(Object.keys(b), Object.keys(a), 'the same own enumerable properties')
})

test('a signal aborted in the same tick as uploadFile() sends no request either', async (t) => {
  const endpoint = server.endpoint()
  const controller = new AbortController()
  const task = uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', signal: controller.signal })
  t.is(listenerCount(controller.signal), 1)
  controller.abort()
  assertAbortError(t, await t.throwsAsync(within(task, 1000, 'the abort rejection')))
  t.is(listenerCount(controller.signal), 0)
  await assertNothingArrived(t, server, endpoint, small.path)
})

test('the abort error carries the signal reason as cause, never in errMsg', async (t) => {
  const reasons = [new Error('user left the page'), 'a string reason', { why: 'object' }]
  for (const reason of reasons) {
    const controller = new AbortController()
    controller.abort(reason)
    const error = await t.throwsAsync(
      uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file', signal: controller.signal }),
    )
    assertAbortError(t, error)
    t.is(error.cause, reason)
  }
  // A signal without a reason (an old polyfill): no cause at all.
  const { signal } = observedSignal()
  signal.aborted = true
  const error = await t.throwsAsync(
    uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file', signal }),
  )
  assertAbortError(t, error)
  t.false('cause' in error)
})

// ---------------------------------------------------------------------------------------------
// Aborting mid-upload

test.serial(
  'AbortController.abort() mid-upload: AbortError to fail, complete and the promise; the connection closes early',
  async (t) => {
    const endpoint = server.endpoint({ readDelayMs: 20 }) // a slow reader
    const controller = new AbortController()
    const { task, log } = loggedUpload({
      url: endpoint.url,
      filePath: large.path,
      name: 'file',
      signal: controller.signal,
    })
    const { rec, watch } = await heldMidBody(t, task, endpoint)
    t.is(listenerCount(controller.signal), 1, 'one listener while the upload runs')

    const reason = new Error('stop')
    controller.abort(reason)
    watch.stop()
    const error = await t.throwsAsync(within(task, 1000, 'the abort rejection'))
    assertAbortError(t, error)
    t.is(error.cause, reason)
    t.deepEqual(log, [
      ['fail', error],
      ['complete', error],
    ])
    t.is(listenerCount(controller.signal), 0, 'the listener is gone after settlement')

    await assertClosedEarly(t, rec, large.size)
    await staysPending(watch.lateEvent, 200)
    t.is(watch.late, 0, 'no progress event after the signal was aborted')
  },
)

test('AbortSignal.timeout(ms): the upload is aborted when it fires and the connection closes', async (t) => {
  const endpoint = server.endpoint({ respond: false }) // reads the body, never answers
  const signal = AbortSignal.timeout(300)
  const started = performance.now()
  const task = uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', signal, timeout: 10000 })
  const error = await t.throwsAsync(within(task, 5000, 'the abort rejection'))
  const elapsed = performance.now() - started
  assertAbortError(t, error) // an abort, not the upload's own deadline (ETIMEDOUT)
  t.is(error.cause?.name, 'TimeoutError', "the signal's reason says why")
  t.true(elapsed >= 250, `settled after ${Math.round(elapsed)} ms`)
  t.is(listenerCount(signal), 0)
  const rec = await within(endpoint.arrived, 1000, 'the request')
  await within(rec.socketClosed, 5000, 'the connection closing')
})

test('AbortSignal.any([...]) works too', async (t) => {
  const controller = new AbortController()
  const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(60000)])
  const endpoint = server.endpoint({ respond: false })
  const task = uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', signal })
  await within(endpoint.arrived, 10000, 'the request arriving')
  controller.abort()
  assertAbortError(t, await t.throwsAsync(within(task, 1000, 'the abort rejection')))
  t.is(listenerCount(signal), 0)
})

test('abort() and the signal both: the task settles once; the later one does nothing', async (t) => {
  for (const order of [
    ['abort()', 'signal'],
    ['signal', 'abort()'],
  ]) {
    const controller = new AbortController()
    const log = []
    const endpoint = server.endpoint({ respond: false })
    const task = uploadFile({
      url: endpoint.url,
      filePath: small.path,
      name: 'file',
      signal: controller.signal,
      fail: () => log.push('fail'),
      complete: () => log.push('complete'),
    })
    await within(endpoint.arrived, 10000, 'the request arriving')
    for (const step of order) {
      if (step === 'abort()') t.is(task.abort(), undefined)
      else controller.abort(new Error('from the signal'))
    }
    const error = await t.throwsAsync(task)
    assertAbortError(t, error)
    if (order[0] === 'abort()') t.is(error.cause, undefined, 'abort() came first: no cause')
    else t.is(error.cause, controller.signal.reason)
    await nextMacrotask()
    t.deepEqual(log, ['fail', 'complete'], order.join(' then '))
    t.is(listenerCount(controller.signal), 0)
  }
})

test('one signal for several uploads aborts them all', async (t) => {
  const controller = new AbortController()
  const tasks = [1, 2, 3].map(() =>
    uploadFile({
      url: server.endpoint({ respond: false }).url,
      filePath: small.path,
      name: 'file',
      signal: controller.signal,
    }),
  )
  t.is(listenerCount(controller.signal), 3)
  await nextMacrotask()
  controller.abort()
  for (const task of tasks) assertAbortError(t, await t.throwsAsync(within(task, 1000, 'the abort rejection')))
  t.is(listenerCount(controller.signal), 0)
})

// ---------------------------------------------------------------------------------------------
// The listener is removed at settlement, whatever the outcome

test('after success the listener is removed; aborting the signal later changes nothing', async (t) => {
  const controller = new AbortController()
  const log = []
  const warnings = recordWarnings(t)
  const task = uploadFile({
    url: server.endpoint().url,
    filePath: small.path,
    name: 'file',
    signal: controller.signal,
    success: () => log.push('success'),
    fail: () => log.push('fail'),
    complete: () => log.push('complete'),
  })
  t.is(listenerCount(controller.signal), 1)
  const result = await task
  t.is(result.statusCode, 200)
  t.is(listenerCount(controller.signal), 0)

  t.notThrows(() => controller.abort())
  t.is(await task, result, 'the promise stays resolved with the same result')
  await nextMacrotask()
  t.deepEqual(log, ['success', 'complete'])
  t.deepEqual(
    warnings.filter((w) => w.name === 'UploadTaskWarning'),
    [],
  )
})

test('an AbortSignal look-alike sees one add and one remove of the same listener: success', async (t) => {
  const { signal, calls, listeners } = observedSignal()
  const result = await uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file', signal })
  t.is(result.statusCode, 200)
  assertAddedThenRemoved(t, calls)
  t.like(calls[0][3], { once: true })
  t.is(listeners.size, 0)
})

test('an AbortSignal look-alike: the listener is removed after each kind of failure', async (t) => {
  const port = await closedPort()
  const cases = {
    ENOENT: { url: server.endpoint().url, filePath: `${small.path}.missing` },
    ECONNREFUSED: { url: `http://127.0.0.1:${port}/`, filePath: small.path },
    ETIMEDOUT: { url: server.endpoint({ respond: false }).url, filePath: small.path, timeout: 200 },
    ERR_INVALID_ARG_VALUE: { url: 'ftp://127.0.0.1/', filePath: small.path },
  }
  for (const [code, options] of Object.entries(cases)) {
    const { signal, calls, listeners } = observedSignal()
    await t.throwsAsync(uploadFile({ name: 'file', signal, ...options }), { code }, code)
    assertAddedThenRemoved(t, calls)
    t.is(listeners.size, 0, code)
  }
})

test('an AbortSignal look-alike: the listener is removed after abort(), and after its own abort', async (t) => {
  {
    const { signal, calls, listeners } = observedSignal()
    const task = uploadFile({
      url: server.endpoint({ respond: false }).url,
      filePath: small.path,
      name: 'file',
      signal,
    })
    task.abort()
    assertAbortError(t, await t.throwsAsync(task))
    assertAddedThenRemoved(t, calls)
    t.is(listeners.size, 0)
  }
  {
    const { signal, calls, abort } = observedSignal()
    const endpoint = server.endpoint({ respond: false })
    const task = uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', signal })
    await within(endpoint.arrived, 10000, 'the request arriving')
    abort('reason')
    const error = await t.throwsAsync(task)
    assertAbortError(t, error)
    t.is(error.cause, 'reason')
    assertAddedThenRemoved(t, calls)
  }
})

test('a parameter error, or an already aborted signal, adds no listener at all', async (t) => {
  {
    const { signal, calls } = observedSignal()
    await t.throwsAsync(uploadFile({ url: 1, filePath: small.path, name: 'file', signal }), {
      code: 'ERR_INVALID_ARG_TYPE',
    })
    t.deepEqual(calls, [])
  }
  {
    const { signal, calls } = observedSignal()
    signal.aborted = true
    const endpoint = server.endpoint()
    assertAbortError(
      t,
      await t.throwsAsync(uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', signal })),
    )
    t.deepEqual(calls, [])
    await assertNothingArrived(t, server, endpoint, small.path)
  }
})

test('a signal from another realm (node:vm), as under Jest, is accepted and works', async (t) => {
  // A minimal EventTarget-style signal whose objects and functions all belong to a new context.
  const make = vm.runInNewContext(`(() => {
    const listeners = new Set()
    const signal = {
      aborted: false,
      reason: undefined,
      addEventListener(type, fn) { if (type === 'abort') listeners.add(fn) },
      removeEventListener(type, fn) { if (type === 'abort') listeners.delete(fn) },
    }
    const abort = (reason) => {
      signal.aborted = true
      signal.reason = reason
      for (const fn of [...listeners]) { listeners.delete(fn); fn({ type: 'abort' }) }
    }
    return { signal, abort, count: () => listeners.size }
  })`)
  const { signal, abort, count } = make()
  t.false(signal instanceof Object, 'the signal is not an object of this realm')
  const endpoint = server.endpoint({ respond: false })
  const task = uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', signal })
  t.is(count(), 1)
  await within(endpoint.arrived, 10000, 'the request arriving')
  abort()
  assertAbortError(t, await t.throwsAsync(task))
  t.is(count(), 0)

  const other = make()
  const ok = await uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file', signal: other.signal })
  t.is(ok.statusCode, 200)
  t.is(other.count(), 0)
})

// ---------------------------------------------------------------------------------------------
// Types

test('null and undefined mean no signal', async (t) => {
  for (const signal of [null, undefined]) {
    const result = await uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file', signal })
    t.is(result.statusCode, 200)
  }
})

test('a value that is not an AbortSignal: ERR_INVALID_ARG_TYPE in WeChat wording, nothing sent', async (t) => {
  const cases = [
    ['abort', 'String'],
    [1, 'Number'],
    [true, 'Boolean'],
    [{}, 'Object'],
    [[], 'Array'],
    [() => {}, 'Function'],
    [new AbortController(), 'Object'], // the controller, not its signal
    [new EventTarget(), 'Object'], // no `aborted`
    [{ aborted: 'no', addEventListener() {}, removeEventListener() {} }, 'Object'],
    [{ aborted: false, addEventListener() {} }, 'Object'],
  ]
  const endpoints = []
  for (const [signal, type] of cases) {
    const endpoint = server.endpoint()
    endpoints.push(endpoint)
    const log = []
    const error = await t.throwsAsync(
      uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', signal, fail: () => log.push('fail') }),
    )
    t.is(error.errMsg, `${PREFIX}parameter error: parameter.signal should be AbortSignal instead of ${type}`)
    t.is(error.code, 'ERR_INVALID_ARG_TYPE')
    t.deepEqual(log, ['fail'])
    t.deepEqual(endpoint.records(), [])
  }
  await assertNothingArrived(t, server, endpoints, small.path)
})

test('the signal option is read once; a signal that throws when used is a parameter error', async (t) => {
  let reads = 0
  const options = { url: server.endpoint().url, filePath: small.path, name: 'file' }
  Object.defineProperty(options, 'signal', {
    enumerable: true,
    get() {
      reads++
      return new AbortController().signal
    },
  })
  t.is((await uploadFile(options)).statusCode, 200)
  t.is(reads, 1)

  const boom = new Error('boom\nsecond line')
  const hostile = [
    Object.defineProperty({ addEventListener() {}, removeEventListener() {} }, 'aborted', {
      get() {
        throw boom
      },
    }),
    {
      aborted: false,
      addEventListener() {
        throw boom
      },
      removeEventListener() {},
    },
  ]
  const endpoints = []
  for (const signal of hostile) {
    const endpoint = server.endpoint()
    endpoints.push(endpoint)
    let task
    t.notThrows(() => {
      task = uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', signal })
    })
    const error = await t.throwsAsync(task, { code: 'ERR_INVALID_ARG_VALUE' })
    t.is(error.errMsg, `${PREFIX}parameter error: parameter.signal could not be read: boom`)
    t.is(error.cause, boom)
    t.deepEqual(endpoint.records(), [])
  }
  await assertNothingArrived(t, server, endpoints, small.path)

  // A removeEventListener that throws does not disturb the settlement.
  const { signal } = observedSignal()
  signal.removeEventListener = () => {
    throw boom
  }
  t.is((await uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file', signal })).statusCode, 200)
})
