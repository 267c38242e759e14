'use strict'

// Realms (docs/TESTING.md): the package's JavaScript run in a `node:vm` context of its own, as
// Jest runs it, while the addon is loaded by this process's own `require`, as Jest loads `.node`
// files. The native side makes its values in the main context; everything `uploadFile` hands
// over (result, header, cookies, events, errors) must belong to the context the package runs in.
// Last, the addon loaded a second time in one process (two copies of the package; Jest does not
// do it) works on its own.

const fs = require('node:fs')
const { createRequire, isBuiltin } = require('node:module')
const path = require('node:path')
const vm = require('node:vm')
const test = require('ava')
const { closedPort } = require('upload-task/testing') // the package's self-reference
const { PACKAGE_DIR } = require('./helpers/child.js')
const { useServer, useTempFile } = require('./helpers/setup.js')

const server = useServer(test)
const file = useTempFile(test, 512 * 1024, { name: 'realm.txt' })

/**
 * Requires `entry` with a small CommonJS loader that compiles every JavaScript file in
 * `context`: built-in modules and `.node` files come from this process's `require` (the main
 * context), JSON is parsed by the context's own `JSON`.
 * @param {vm.Context} context
 * @param {string} entry  absolute path
 */
function requireInContext(context, entry) {
  const modules = new Map()
  const contextJSON = vm.runInContext('JSON', context)
  const load = (filename) => {
    if (modules.has(filename)) return modules.get(filename).exports
    const loaded = { exports: {}, filename }
    modules.set(filename, loaded)
    if (filename.endsWith('.node')) {
      loaded.exports = require(filename)
    } else if (filename.endsWith('.json')) {
      loaded.exports = contextJSON.parse(fs.readFileSync(filename, 'utf8'))
    } else {
      const params = ['exports', 'require', 'module', '__filename', '__dirname']
      const body = fs.readFileSync(filename, 'utf8')
      const fn = vm.compileFunction(body, params, { filename, parsingContext: context })
      fn.call(loaded.exports, loaded.exports, requireFrom(filename), loaded, filename, path.dirname(filename))
    }
    return loaded.exports
  }
  const requireFrom = (from) => {
    const hostRequire = createRequire(from)
    return (request) => (isBuiltin(request) ? hostRequire(request) : load(hostRequire.resolve(request)))
  }
  return load(entry)
}

/** A new context with the globals the package uses, its intrinsics, and the package run in it. */
function packageInContext() {
  const context = vm.createContext({ process, Buffer, console })
  const intrinsics = vm.runInContext('({ Object, Array, Error, TypeError, Promise })', context)
  const pkg = requireInContext(context, path.join(PACKAGE_DIR, 'index.js'))
  return { pkg, ...intrinsics }
}

/** An endpoint answering with two cookies. */
function cookieEndpoint() {
  return server.endpoint({
    headers: [
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ],
    body: 'ok',
  })
}

test('the loader works: the package runs in the context, the addon in the main one', async (t) => {
  const { pkg, Object: ContextObject, Array: ContextArray } = packageInContext()
  t.false(pkg.uploadFile instanceof Function, 'uploadFile is a function of the context')
  t.true(pkg.UploadTask instanceof Function, 'the native class is the main context')
  t.is(pkg.UploadTask, require('../index.js').UploadTask, 'the addon is the one this process loaded')
  const raw = await new pkg.UploadTask().start({
    url: cookieEndpoint().url,
    filePath: file.path,
    name: 'file',
    fileName: 'realm.txt',
    header: [],
    formData: [],
  })
  t.is(raw.outcome, 'success')
  t.false(raw.header instanceof ContextObject, 'native values are not of the context')
  t.false(raw.cookies instanceof ContextArray)
})

test('the result, its header and cookies, the events and the callbacks are of the context', async (t) => {
  const { pkg, Object: ContextObject, Array: ContextArray, Promise: ContextPromise } = packageInContext()
  const endpoint = cookieEndpoint()
  const progress = []
  const headers = []
  const callbacks = []
  const task = pkg.uploadFile({
    url: endpoint.url,
    filePath: file.path,
    name: 'file',
    success: (res) => callbacks.push(res),
    complete: (res) => callbacks.push(res),
  })
  task.onProgressUpdate((event) => progress.push(event))
  task.onHeadersReceived((event) => headers.push(event))
  const res = await task

  t.true(task instanceof ContextPromise)
  t.true(res instanceof ContextObject)
  t.true(res.header instanceof ContextObject)
  t.is(Object.getPrototypeOf(res.header), ContextObject.prototype, 'a plain object of the context')
  t.true(res.header['set-cookie'] instanceof ContextArray)
  t.true(res.cookies instanceof ContextArray)
  t.is(JSON.stringify(res.cookies), '["a=1","b=2"]')
  t.is(JSON.stringify(res.header['set-cookie']), '["a=1","b=2"]')
  t.is(res.header['content-length'], '2')
  t.is(res.data, 'ok')

  t.true(progress.length > 0)
  for (const event of progress) t.is(Object.getPrototypeOf(event), ContextObject.prototype)
  const last = progress.at(-1)
  t.is(
    JSON.stringify(last),
    JSON.stringify({
      progress: 100,
      totalBytesSent: last.totalBytesExpectedToSend,
      totalBytesExpectedToSend: last.totalBytesExpectedToSend,
    }),
  )
  t.is(headers.length, 1)
  t.true(headers[0] instanceof ContextObject)
  t.true(headers[0].header instanceof ContextObject)
  t.true(headers[0].header['set-cookie'] instanceof ContextArray)
  t.is(JSON.stringify(headers[0].header), JSON.stringify(res.header))
  t.deepEqual(callbacks, [res, res])
})

test('errors are of the context: network failure, native parameter error, abort, listener TypeError', async (t) => {
  const { pkg, Error: ContextError, TypeError: ContextTypeError } = packageInContext()
  const refused = pkg.uploadFile({ url: `http://127.0.0.1:${await closedPort()}/`, filePath: file.path, name: 'f' })
  const badScheme = pkg.uploadFile({ url: 'ftp://127.0.0.1/', filePath: file.path, name: 'f' })
  const aborted = pkg.uploadFile({ url: server.endpoint({ respond: false }).url, filePath: file.path, name: 'f' })
  aborted.abort()
  for (const [task, code] of [
    [refused, 'ECONNREFUSED'],
    [badScheme, 'ERR_INVALID_ARG_VALUE'],
    [aborted, 'ABORT_ERR'],
  ]) {
    const err = await task.then(
      () => t.fail(`${code}: resolved`),
      (e) => e,
    )
    t.is(err.code, code)
    t.true(err instanceof ContextError, code)
    t.true(err instanceof pkg.UploadError, code)
    t.false(err instanceof Error, `${code}: not of the main context`)
  }
  const task = pkg.uploadFile({ url: 'ftp://x/', filePath: file.path, name: 'f' })
  task.catch(() => {})
  const thrown = t.throws(() => task.onProgressUpdate(1))
  t.true(thrown instanceof ContextTypeError)
  task.abort()
})

test('the addon loaded a second time in the process (process.dlopen) is a binding of its own that uploads', async (t) => {
  // What happens with two copies of the package, or a cleared require cache; Jest does not do it.
  const first = require('../lib/native.js')
  const addon = Object.keys(require.cache).find((filename) => filename.endsWith('.node'))
  t.is(require(addon).UploadTask, first.UploadTask, 'the file the binding loaded')
  const second = { exports: {} }
  process.dlopen(second, addon)
  t.not(second.exports.UploadTask, first.UploadTask)
  const endpoint = cookieEndpoint()
  const outcomes = await Promise.all(
    [first, second.exports].map((binding) =>
      new binding.UploadTask().start({
        url: endpoint.url,
        filePath: file.path,
        name: 'file',
        fileName: 'realm.txt',
        header: [],
        formData: [],
      }),
    ),
  )
  t.deepEqual(
    outcomes.map((o) => [o.outcome, o.statusCode]),
    [
      ['success', 200],
      ['success', 200],
    ],
  )
  const records = await Promise.all(endpoint.records().map((rec) => rec.finished))
  t.deepEqual(
    records.map((rec) => rec.file.sha256),
    [file.sha256, file.sha256],
  )
})
