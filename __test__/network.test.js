'use strict'

// Network and file failures (SPEC §3, §6): Node-style codes, certificate verification, and a
// file that changes size while it is being sent.

const fs = require('node:fs')
const https = require('node:https')
const path = require('node:path')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { startServer, makeTempFile, within } = require('./helpers/server.js')
const { FIXTURES } = require('./helpers/child.js')

let server
let file

test.before(async () => {
  server = await startServer()
  file = await makeTempFile(256 * 1024, { name: 'net.bin' })
})

test.after.always(async () => {
  await server.close()
  await file.remove()
})

/** Checks the common shape of a failure. */
function assertFailure(t, error, code) {
  t.true(error instanceof Error)
  t.is(error.code, code)
  t.true(error.errMsg.startsWith('uploadFile:fail '), error.errMsg)
  t.is(error.message, error.errMsg)
}

test('a connection dropped without a response: ECONNRESET', async (t) => {
  const task = uploadFile({ url: server.url('/reset'), filePath: file.path, name: 'file' })
  const error = await t.throwsAsync(within(task, 10000, 'settlement'))
  assertFailure(t, error, 'ECONNRESET')
})

test('https: a self-signed certificate is rejected with ERR_TLS_CERT_INVALID and no request is sent', async (t) => {
  let requests = 0
  const tlsServer = https.createServer(
    {
      key: fs.readFileSync(path.join(FIXTURES, 'tls', 'key.pem')),
      cert: fs.readFileSync(path.join(FIXTURES, 'tls', 'cert.pem')),
    },
    (req, res) => {
      requests++
      req.resume()
      req.on('end', () => res.end('accepted'))
    },
  )
  await new Promise((resolve) => tlsServer.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    tlsServer.closeAllConnections()
    tlsServer.close()
  })
  const { port } = tlsServer.address()
  for (const host of ['127.0.0.1', 'localhost']) {
    const task = uploadFile({ url: `https://${host}:${port}/up`, filePath: file.path, name: 'file' })
    const error = await t.throwsAsync(within(task, 10000, 'settlement'))
    assertFailure(t, error, 'ERR_TLS_CERT_INVALID')
  }
  t.is(requests, 0)
})

test.serial('a file truncated during the upload fails with ERR_FILE_CHANGED', async (t) => {
  const changing = await makeTempFile(32 * 1024 * 1024, { name: 'changing.bin' })
  t.teardown(() => changing.remove())
  const endpoint = server.endpoint('/slow')
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
