'use strict'

// Bad arguments (docs/API.md §2, §3, §6): uploadFile never throws; each problem arrives
// asynchronously as fail → complete → rejection with WeChat's wording and a stable code.

const os = require('node:os')
const path = require('node:path')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { useServer, useTempFile } = require('./helpers/setup.js')

const server = useServer(test)
const file = useTempFile(test, 16 * 1024, { name: 'args.txt' })

const PREFIX = 'uploadFile:fail parameter error: '

/**
 * Calls uploadFile(options) with fail/complete spies added, checks that it neither throws nor
 * settles synchronously, and returns the rejection after checking fail → complete → reject.
 */
async function failure(t, options) {
  const log = []
  let task
  t.notThrows(() => {
    task = uploadFile({
      ...options,
      success: options.success ?? (() => log.push('success')),
      fail: (e) => log.push(['fail', e]),
      complete: (e) => log.push(['complete', e]),
    })
  })
  t.true(task instanceof Promise)
  t.deepEqual(log, [], 'nothing settles synchronously')
  const error = await t.throwsAsync(task, { instanceOf: Error })
  t.deepEqual(log, [
    ['fail', error],
    ['complete', error],
  ])
  t.is(error.message, error.errMsg)
  return error
}

/** Valid options for a fresh default endpoint of the server, with `overrides` applied. */
function valid(overrides) {
  return { url: server.endpoint().url, filePath: file.path, name: 'file', ...overrides }
}

test('missing options: rejects asynchronously with ERR_INVALID_ARG_TYPE', async (t) => {
  for (const options of [undefined, null, 'http://x/', 42, []]) {
    let task
    t.notThrows(() => {
      task = uploadFile(options)
    })
    t.true(task instanceof Promise)
    const error = await t.throwsAsync(task, { instanceOf: Error, code: 'ERR_INVALID_ARG_TYPE' })
    t.true(error.errMsg.startsWith(PREFIX), error.errMsg)
    t.is(error.message, error.errMsg)
  }
})

test('url not a string: WeChat’s exact wording', async (t) => {
  const error = await failure(t, valid({ url: undefined }))
  t.is(error.errMsg, 'uploadFile:fail parameter error: parameter.url should be String instead of Undefined')
  t.is(error.code, 'ERR_INVALID_ARG_TYPE')
  const again = await failure(t, valid({ url: 12 }))
  t.is(again.errMsg, 'uploadFile:fail parameter error: parameter.url should be String instead of Number')
})

test('url with another scheme or not a URL: ERR_INVALID_ARG_VALUE', async (t) => {
  for (const url of ['ftp://127.0.0.1/up', 'file:///etc/passwd', 'not a url', '']) {
    const error = await failure(t, valid({ url }))
    t.is(error.code, 'ERR_INVALID_ARG_VALUE', url)
    t.true(error.errMsg.startsWith(`${PREFIX}parameter.url`), error.errMsg)
  }
})

test('missing filePath or name: ERR_INVALID_ARG_TYPE', async (t) => {
  const noPath = await failure(t, valid({ filePath: undefined }))
  t.is(noPath.errMsg, `${PREFIX}parameter.filePath should be String instead of Undefined`)
  t.is(noPath.code, 'ERR_INVALID_ARG_TYPE')
  const noName = await failure(t, valid({ name: undefined }))
  t.is(noName.errMsg, `${PREFIX}parameter.name should be String instead of Undefined`)
  t.is(noName.code, 'ERR_INVALID_ARG_TYPE')
})

test('empty name or filePath: ERR_INVALID_ARG_VALUE', async (t) => {
  const emptyName = await failure(t, valid({ name: '' }))
  t.is(emptyName.code, 'ERR_INVALID_ARG_VALUE')
  t.true(emptyName.errMsg.startsWith(`${PREFIX}parameter.name`), emptyName.errMsg)
  const emptyPath = await failure(t, valid({ filePath: '' }))
  t.is(emptyPath.code, 'ERR_INVALID_ARG_VALUE')
  t.true(emptyPath.errMsg.startsWith(`${PREFIX}parameter.filePath`), emptyPath.errMsg)
})

test('header not an object and formData an array: ERR_INVALID_ARG_TYPE', async (t) => {
  const header = await failure(t, valid({ header: 'X-A: 1' }))
  t.is(header.errMsg, `${PREFIX}parameter.header should be Object instead of String`)
  t.is(header.code, 'ERR_INVALID_ARG_TYPE')
  const formData = await failure(t, valid({ formData: [['a', '1']] }))
  t.is(formData.errMsg, `${PREFIX}parameter.formData should be Object instead of Array`)
  t.is(formData.code, 'ERR_INVALID_ARG_TYPE')
})

test('fileName not a string: ERR_INVALID_ARG_TYPE', async (t) => {
  const error = await failure(t, valid({ fileName: 7 }))
  t.is(error.errMsg, `${PREFIX}parameter.fileName should be String instead of Number`)
  t.is(error.code, 'ERR_INVALID_ARG_TYPE')
})

test('timeout negative or NaN: ERR_INVALID_ARG_VALUE; a string: ERR_INVALID_ARG_TYPE', async (t) => {
  for (const timeout of [-1, -Infinity, Number.NaN]) {
    const error = await failure(t, valid({ timeout }))
    t.is(error.code, 'ERR_INVALID_ARG_VALUE', String(timeout))
    t.true(error.errMsg.startsWith(`${PREFIX}parameter.timeout`), error.errMsg)
  }
  const string = await failure(t, valid({ timeout: '500' }))
  t.is(string.errMsg, `${PREFIX}parameter.timeout should be Number instead of String`)
  t.is(string.code, 'ERR_INVALID_ARG_TYPE')
})

test('a callback that is not a function: ERR_INVALID_ARG_TYPE, and the other callbacks still run', async (t) => {
  const error = await failure(t, valid({ success: 'yes' }))
  t.is(error.errMsg, `${PREFIX}parameter.success should be Function instead of String`)
  t.is(error.code, 'ERR_INVALID_ARG_TYPE')

  for (const key of ['fail', 'complete']) {
    const task = uploadFile(valid({ [key]: 1 }))
    const other = await t.throwsAsync(task, { code: 'ERR_INVALID_ARG_TYPE' })
    t.is(other.errMsg, `${PREFIX}parameter.${key} should be Function instead of Number`)
  }
})

test('options whose getters throw: rejects, never throws', async (t) => {
  const options = valid({})
  Object.defineProperty(options, 'url', {
    enumerable: true,
    get() {
      throw new Error('boom')
    },
  })
  let task
  t.notThrows(() => {
    task = uploadFile(options)
  })
  const error = await t.throwsAsync(task, { instanceOf: Error })
  t.true(error.errMsg.startsWith(PREFIX), error.errMsg)
  t.regex(error.code, /^ERR_INVALID_ARG_(TYPE|VALUE)$/)
})

test('a header name that is not an HTTP token: ERR_INVALID_ARG_VALUE', async (t) => {
  for (const name of ['X Bad', 'X-Bad\r\nX-Injected', 'X:Colon', '', 'X-Ü']) {
    const error = await failure(t, valid({ header: { [name]: 'v' } }))
    t.is(error.code, 'ERR_INVALID_ARG_VALUE', JSON.stringify(name))
    t.true(error.errMsg.startsWith(`${PREFIX}parameter.header`), error.errMsg)
  }
})

test('a header value with CR, LF or NUL fails with ERR_INVALID_CHAR, as in Node, and nothing of that request reaches the wire', async (t) => {
  const endpoints = []
  for (const value of ['a\r\nX-Injected: 1', 'a\nX-Injected: 1', 'a\rX-Injected: 1', 'a\0b']) {
    const endpoint = server.endpoint()
    endpoints.push(endpoint)
    const error = await failure(t, valid({ url: endpoint.url, header: { 'X-Evil': value } }))
    t.is(error.code, 'ERR_INVALID_CHAR', JSON.stringify(value))
    t.true(error.errMsg.startsWith(`${PREFIX}parameter.header["X-Evil"]`), error.errMsg)
  }
  // A good upload to the same server completes after them; none of theirs ever arrived.
  const ok = await uploadFile(valid({ header: { 'X-Fine': 'yes' } }))
  t.is(ok.statusCode, 200)
  for (const { id, records } of endpoints) t.deepEqual(records(), [], `request ${id} never arrived`)
  t.false(server.records.some((r) => 'x-evil' in r.headers || 'x-injected' in r.headers))
})

test('a missing file: ENOENT, naming the path', async (t) => {
  const missing = path.join(file.dir, 'does-not-exist.bin')
  const error = await failure(t, valid({ filePath: missing }))
  t.is(error.code, 'ENOENT')
  t.true(error.errMsg.startsWith('uploadFile:fail '), error.errMsg)
  t.true(error.errMsg.includes(missing), error.errMsg)
})

test('a directory: EISDIR, naming the path', async (t) => {
  const dir = os.tmpdir()
  const error = await failure(t, valid({ filePath: dir }))
  t.is(error.code, 'EISDIR')
  t.true(error.errMsg.startsWith('uploadFile:fail '), error.errMsg)
  t.true(error.errMsg.includes(dir), error.errMsg)
})

test.serial('with fail or complete given, a rejection is never unhandled; await still sees it', async (t) => {
  const unhandled = []
  const onUnhandled = (reason) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => process.off('unhandledRejection', onUnhandled))

  const tasks = []
  for (const callbacks of [{ fail: () => {} }, { complete: () => {} }]) {
    for (const options of [valid({ url: 'ftp://x/' }), valid({ filePath: `${file.path}.missing` })]) {
      let settled
      const done = new Promise((resolve) => {
        settled = resolve
      })
      const wrap = (fn) => (e) => {
        fn(e)
        settled()
      }
      const task = uploadFile({
        ...options,
        ...(callbacks.fail && { fail: wrap(callbacks.fail) }),
        ...(callbacks.complete && { complete: wrap(callbacks.complete) }),
      })
      await done
      tasks.push(task)
    }
  }
  // Let Node process rejections that nobody handled (it does so after the microtask queue).
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setTimeout(resolve, 0))
  t.deepEqual(unhandled, [])
  for (const task of tasks) await t.throwsAsync(task, { instanceOf: Error })
})
