'use strict'

// idleTimeout (docs/API.md §2): an upload fails with ETIMEDOUT and `phase` once nothing moved for
// that long, in each phase (connect, send, wait, receive), against raw servers that stall there;
// an upload that keeps moving never hits it; the `timeout` deadline carries `phase` too.

const test = require('ava')
const { uploadFile, isUploadError } = require('../index.js')
const { within } = require('../testing')
const { rawServer, afterHead } = require('./helpers/raw.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { failureOf } = require('./helpers/wait.js')

const MiB = 1024 * 1024
const server = useServer(test)
const small = useTempFile(test, 64 * 1024, { name: 'small.bin' })
const large = useTempFile(test, 64 * MiB, { name: 'large.bin' })
const medium = useTempFile(test, 16 * MiB, { name: 'medium.bin' })

function assertIdleTimeout(t, error, phase) {
  t.true(isUploadError(error))
  t.is(error.code, 'ETIMEDOUT')
  t.is(error.errMsg, 'uploadFile:fail timeout')
  t.is(error.phase, phase)
}

test('connect: a TLS server that never answers the handshake', async (t) => {
  const { port } = await rawServer(t, (socket) => socket.resume()) // reads the ClientHello, says nothing
  const error = await failureOf(
    uploadFile({ url: `https://127.0.0.1:${port}/up`, filePath: small.path, name: 'file', idleTimeout: 300 }),
  )
  assertIdleTimeout(t, error, 'connect')
})

test('send: a server that stops reading the body', async (t) => {
  let bodyRead = 0
  const { port } = await rawServer(t, (socket) =>
    afterHead(socket, (s, first) => {
      bodyRead = first
      s.pause() // the client's writes stall once the socket buffers are full
    }),
  )
  const started = Date.now()
  const error = await failureOf(
    uploadFile({ url: `http://127.0.0.1:${port}/up`, filePath: large.path, name: 'file', idleTimeout: 300 }),
  )
  assertIdleTimeout(t, error, 'send')
  t.true(bodyRead < large.size)
  t.log(`failed after ${Date.now() - started} ms`)
})

test('wait: the whole body read, no answer', async (t) => {
  const endpoint = server.endpoint({ respond: false })
  const error = await failureOf(uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', idleTimeout: 300 }))
  assertIdleTimeout(t, error, 'wait')
  const rec = await within(endpoint.received(), 5000, 'the record')
  t.true(rec.completed, 'the server had the whole body')
})

test('receive: the response head, then a body that stalls', async (t) => {
  const { port } = await rawServer(t, (socket) =>
    afterHead(socket, (s) => {
      s.resume()
      s.once('end', () => {})
      // Answer at once (the body is small: it is in by now or soon), with a body that stops early.
      setTimeout(() => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789'), 100)
    }),
  )
  const task = uploadFile({ url: `http://127.0.0.1:${port}/up`, filePath: small.path, name: 'file', idleTimeout: 400 })
  let headers = 0
  task.onHeadersReceived(() => headers++)
  const error = await failureOf(task)
  assertIdleTimeout(t, error, 'receive')
  t.is(headers, 1, 'the head had arrived')
})

test('an upload that keeps moving never hits it, however long it takes', async (t) => {
  // 16 MiB read at 3 MiB/s (300 KiB per 100 ms): over five seconds of upload, with the idle time at
  // three. What counts is bytes handed to the connection, so the last few MiB, sitting in the
  // sockets' buffers, drain without counting (under two seconds at this rate: docs/API.md §2).
  const file = medium
  const budget = 300 * 1024
  const { port } = await rawServer(t, (socket) =>
    afterHead(socket, (s, first) => {
      let received = first
      let allowance = budget
      const tick = setInterval(() => {
        allowance = budget
        s.resume()
      }, 100)
      s.on('data', (chunk) => {
        received += chunk.length
        allowance -= chunk.length
        if (received >= file.size) {
          clearInterval(tick)
          s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')
        } else if (allowance <= 0) {
          s.pause()
        }
      })
      s.on('close', () => clearInterval(tick))
    }),
  )
  const started = Date.now()
  const res = await within(
    uploadFile({ url: `http://127.0.0.1:${port}/up`, filePath: file.path, name: 'file', idleTimeout: 3000 }),
    60000,
    'the slow upload',
  )
  const took = Date.now() - started
  t.is(res.statusCode, 200)
  t.log(`took ${took} ms with idleTimeout 3000`)
  t.true(took > 3000, 'the upload took longer than the idle time')
})

test('the timeout deadline reports its phase too', async (t) => {
  const endpoint = server.endpoint({ respond: false })
  const error = await failureOf(uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', timeout: 300 }))
  assertIdleTimeout(t, error, 'wait')
})

test('idleTimeout values: negative or NaN is ERR_INVALID_ARG_VALUE, a string ERR_INVALID_ARG_TYPE, 0 and null none', async (t) => {
  for (const idleTimeout of [-1, Number.NaN]) {
    const error = await failureOf(
      uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file', idleTimeout }),
    )
    t.is(error.code, 'ERR_INVALID_ARG_VALUE')
    t.regex(error.errMsg, /parameter\.idleTimeout/)
  }
  const error = await failureOf(
    uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file', idleTimeout: '100' }),
  )
  t.is(error.errMsg, 'uploadFile:fail parameter error: parameter.idleTimeout should be Number instead of String')
  for (const idleTimeout of [0, null, Number.POSITIVE_INFINITY]) {
    const res = await uploadFile({ url: server.endpoint().url, filePath: small.path, name: 'file', idleTimeout })
    t.is(res.statusCode, 200)
  }
})
