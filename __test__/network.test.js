'use strict'

// Network and file failures (docs/API.md §3, §6): Node-style codes, certificate verification, a
// reset during the TLS handshake, and a file that changes size while it is being sent.

const fs = require('node:fs')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { makeTempFile, within } = require('../testing')
const { rawServer } = require('./helpers/raw.js')
const { useServer, useTempFile } = require('./helpers/setup.js')

const server = useServer(test)
// HTTPS, with a certificate for 127.0.0.1 and localhost signed by a CA generated for this run,
// which the client does not trust.
const tlsServer = useServer(test, { tls: true })
const file = useTempFile(test, 256 * 1024, { name: 'net.bin' })

/** Checks the common shape of a failure. */
function assertFailure(t, error, code) {
  t.true(error instanceof Error)
  t.is(error.code, code)
  t.true(error.errMsg.startsWith('uploadFile:fail '), error.errMsg)
  t.is(error.message, error.errMsg)
}

test('a connection dropped without a response: ECONNRESET', async (t) => {
  const task = uploadFile({ url: server.endpoint({ reset: true }).url, filePath: file.path, name: 'file' })
  const error = await t.throwsAsync(within(task, 10000, 'settlement'))
  assertFailure(t, error, 'ECONNRESET')
})

test('https: a certificate signed by an untrusted CA is rejected with ERR_TLS_CERT_INVALID and no request is sent', async (t) => {
  const endpoint = tlsServer.endpoint()
  for (const host of ['127.0.0.1', 'localhost']) {
    const url = endpoint.url.replace('//127.0.0.1:', `//${host}:`)
    const task = uploadFile({ url, filePath: file.path, name: 'file' })
    const error = await t.throwsAsync(within(task, 10000, 'settlement'))
    assertFailure(t, error, 'ERR_TLS_CERT_INVALID')
  }
  t.is(tlsServer.records.length, 0)
})

test('a TLS server that resets after the ClientHello gives ECONNRESET', async (t) => {
  let hellos = 0
  const { port } = await rawServer(t, (socket) => {
    socket.once('data', (chunk) => {
      if (chunk[0] === 0x16) hellos++ // a TLS handshake record
      socket.resetAndDestroy()
    })
  })
  const task = uploadFile({ url: `https://127.0.0.1:${port}/up`, filePath: file.path, name: 'file' })
  const error = await t.throwsAsync(within(task, 5000, 'settlement'))
  t.is(hellos, 1, 'the server read a ClientHello')
  t.is(error.code, 'ECONNRESET', error.errMsg)
})

test.serial('a file truncated during the upload fails with ERR_FILE_CHANGED', async (t) => {
  const changing = await makeTempFile(32 * 1024 * 1024, { name: 'changing.bin' })
  t.teardown(() => changing.remove())
  const endpoint = server.endpoint({ readDelayMs: 20 }) // a slow reader
  const task = uploadFile({ url: endpoint.url, filePath: changing.path, name: 'file' })
  const firstEvent = new Promise((resolve) => task.onProgressUpdate(resolve))
  const event = await within(firstEvent, 10000, 'a first progress event')
  t.true(event.progress < 100)
  fs.truncateSync(changing.path, 0)
  const rec = await endpoint.arrived
  rec.unthrottle() // let what was read before the truncation drain quickly
  const error = await t.throwsAsync(within(task, 20000, 'settlement'))
  t.is(error.errMsg, 'uploadFile:fail file changed during upload')
  t.is(error.code, 'ERR_FILE_CHANGED')
  await within(rec.finished, 10000, 'the end of the request')
  t.false(rec.completed, 'the server never got a complete body')
})
