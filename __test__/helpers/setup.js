'use strict'

/**
 * Shared setup of the test files: a resource made in `test.before` and disposed of in
 * `test.after.always`, usable at the top level of the file as if it already existed.
 */

const { startServer, makeTempFile, createCertificates } = require('../../testing')

/**
 * Registers `test.before(create)` and `test.after.always(dispose)`, and returns a stand-in
 * that forwards every property read to the created value (functions bound to it). Reading it
 * before `test.before` ran throws.
 * @template T
 * @param {import('ava').TestFn} test
 * @param {() => Promise<T>} create
 * @param {(value: T) => Promise<void>} dispose
 * @returns {T}
 */
function useResource(test, create, dispose) {
  let value
  test.before(async () => {
    value = await create()
  })
  test.after.always(async () => {
    if (value !== undefined) await dispose(value)
  })
  return new Proxy(
    {},
    {
      get(_target, key) {
        if (value === undefined) throw new Error(`read .${String(key)} before test.before() ran`)
        const property = Reflect.get(value, key, value)
        return typeof property === 'function' ? property.bind(value) : property
      },
      has: (_target, key) => value !== undefined && key in value,
    },
  )
}

/**
 * A recording test server for the whole file (see testing/README.md).
 * @param {import('ava').TestFn} test
 * @param {Parameters<typeof startServer>[0]} [options]
 * @returns {import('../../testing/server.js').TestServer}
 */
function useServer(test, options) {
  return useResource(
    test,
    () => startServer(options),
    (server) => server.close(),
  )
}

/**
 * A temp file of `size` random bytes for the whole file, removed afterwards.
 * @param {import('ava').TestFn} test
 * @param {number} size
 * @param {Parameters<typeof makeTempFile>[1]} [options]
 * @returns {import('../../testing/files.js').TempFile}
 */
function useTempFile(test, size, options) {
  return useResource(
    test,
    () => makeTempFile(size, options),
    (file) => file.remove(),
  )
}

/**
 * The generated CA and server certificate (testing's `createCertificates`) for the whole file.
 * @param {import('ava').TestFn} test
 * @returns {Awaited<ReturnType<typeof createCertificates>>}
 */
function useCertificates(test) {
  return useResource(test, createCertificates, async () => {})
}

module.exports = { useServer, useTempFile, useCertificates }
