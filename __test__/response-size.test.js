'use strict'

// maxResponseBytes (docs/API.md §2; README, Reliability): a response body that never ends, or one
// announced or found larger than the limit, fails with ERR_RESPONSE_TOO_LARGE and the connection is
// closed; a body of exactly the limit succeeds; a bad limit is a parameter error and nothing is
// sent. Against raw `net` servers where an HTTP library would be too polite. The memory this
// bounds is measured in memory.test.js.

const test = require('ava')
const { uploadFile, ErrorCode } = require('../index.js')
const { assertNothingArrived } = require('./helpers/assert.js')
const { rawServer, readRequests } = require('./helpers/raw.js')
const { DEFAULT_MAX_RESPONSE_BYTES: DEFAULT_LIMIT, endlessResponder } = require('./helpers/responses.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { deferred, failureOf, resultOf, within } = require('./helpers/wait.js')

const KiB = 1024
const MiB = 1024 * KiB
/** `maxResponseBytes: Infinity`: the most bytes whose text fits a JavaScript string. */
const STRING_LIMIT = 2 ** 29 - 24

const server = useServer(test)
const small = useTempFile(test, 4 * KiB, { name: 'small.bin' })

test.serial(
  'a response body that never ends fails with ERR_RESPONSE_TOO_LARGE, and the connection is closed',
  async (t) => {
    const { state, onSocket } = endlessResponder()
    const { url } = await rawServer(t, onSocket)
    const started = Date.now()
    const error = await failureOf(uploadFile({ url, filePath: small.path, name: 'file' }), 15000)
    t.log(`failed after ${Date.now() - started} ms; the server had written ${(state.written / MiB).toFixed(0)} MiB`)
    t.is(error.code, ErrorCode.ERR_RESPONSE_TOO_LARGE)
    t.is(error.code, 'ERR_RESPONSE_TOO_LARGE')
    t.is(error.errMsg, `uploadFile:fail response too large (over maxResponseBytes, ${DEFAULT_LIMIT} bytes)`)
    t.true(state.written >= DEFAULT_LIMIT, 'the server wrote at least the limit before the client gave up')
    await within(state.closed, 5000, 'the server seeing the connection closed')
  },
)

test.serial('a Content-Length above the limit fails before the body is read', async (t) => {
  for (const { announced, limit, expected } of [
    { announced: DEFAULT_LIMIT + 1, limit: undefined, expected: DEFAULT_LIMIT },
    { announced: 1001, limit: 1000, expected: 1000 },
    { announced: STRING_LIMIT + 1, limit: Number.POSITIVE_INFINITY, expected: STRING_LIMIT },
  ]) {
    const closed = deferred()
    const { url } = await rawServer(t, (socket) => {
      socket.on('close', () => closed.resolve())
      // The head only; the socket stays open and the body never comes.
      readRequests(socket, {
        onRequest: () => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${announced}\r\n\r\n`),
      })
    })
    const options = { url, filePath: small.path, name: 'file', timeout: Number.POSITIVE_INFINITY }
    if (limit !== undefined) options.maxResponseBytes = limit
    const headerEvents = []
    const task = uploadFile(options).onHeadersReceived((e) => headerEvents.push(e))
    const error = await failureOf(task, 5000)
    const what = `Content-Length ${announced}, maxResponseBytes ${limit}`
    t.is(error.code, 'ERR_RESPONSE_TOO_LARGE', what)
    t.is(error.errMsg, `uploadFile:fail response too large (over maxResponseBytes, ${expected} bytes)`, what)
    await within(closed.promise, 5000, `the server seeing the connection closed (${what})`)
  }
})

test.serial(
  'a body of exactly maxResponseBytes succeeds, one byte more fails (Content-Length and chunked)',
  async (t) => {
    for (const framing of ['content-length', 'chunked']) {
      for (const limit of [0, 1000, 100 * KiB]) {
        const headers = framing === 'chunked' ? { 'Transfer-Encoding': 'chunked' } : {}
        const fits = server.endpoint({ headers, body: 'x'.repeat(limit) })
        const result = await resultOf(
          uploadFile({ url: fits.url, filePath: small.path, name: 'file', maxResponseBytes: limit }),
        )
        t.is(result.statusCode, 200)
        t.is(result.data, 'x'.repeat(limit), `${framing}, ${limit} bytes, limit ${limit}`)
        t.is(result.header['transfer-encoding'], framing === 'chunked' ? 'chunked' : undefined)

        const over = server.endpoint({ headers, body: 'x'.repeat(limit + 1) })
        const error = await failureOf(
          uploadFile({ url: over.url, filePath: small.path, name: 'file', maxResponseBytes: limit }),
        )
        t.is(error.code, 'ERR_RESPONSE_TOO_LARGE', `${framing}, ${limit + 1} bytes, limit ${limit}`)
        t.is(error.errMsg, `uploadFile:fail response too large (over maxResponseBytes, ${limit} bytes)`)
      }
    }
    // A fractional limit counts whole bytes; Infinity and null take large bodies.
    const ten = server.endpoint({ body: '0123456789' })
    t.is(
      (await resultOf(uploadFile({ url: ten.url, filePath: small.path, name: 'file', maxResponseBytes: 10.7 }))).data,
      '0123456789',
    )
    for (const maxResponseBytes of [Number.POSITIVE_INFINITY, null]) {
      const big = server.endpoint({ body: 'y'.repeat(2 * MiB) })
      const result = await resultOf(uploadFile({ url: big.url, filePath: small.path, name: 'file', maxResponseBytes }))
      t.is(result.data.length, 2 * MiB, `maxResponseBytes ${maxResponseBytes}`)
    }
  },
)

test.serial('maxResponseBytes of a bad value or type is a parameter error, and nothing is sent', async (t) => {
  const endpoint = server.endpoint()
  for (const [maxResponseBytes, code, errMsg] of [
    [
      -1,
      'ERR_INVALID_ARG_VALUE',
      'uploadFile:fail parameter error: parameter.maxResponseBytes should be a non-negative Number, got -1',
    ],
    [
      Number.NaN,
      'ERR_INVALID_ARG_VALUE',
      'uploadFile:fail parameter error: parameter.maxResponseBytes should be a non-negative Number, got NaN',
    ],
    [
      'x',
      'ERR_INVALID_ARG_TYPE',
      'uploadFile:fail parameter error: parameter.maxResponseBytes should be Number instead of String',
    ],
    [
      10n,
      'ERR_INVALID_ARG_TYPE',
      'uploadFile:fail parameter error: parameter.maxResponseBytes should be Number instead of BigInt',
    ],
  ]) {
    const error = await failureOf(
      uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', maxResponseBytes }),
    )
    t.is(error.code, code, String(maxResponseBytes))
    t.is(error.errMsg, errMsg)
  }
  await assertNothingArrived(t, server, endpoint, small.path)
})
