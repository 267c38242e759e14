'use strict'

// enableHttp2 (docs/API.md §2): `true` negotiates HTTP/2 by ALPN over https and still works with
// a server that speaks only HTTP/1.1; `false` (the default) keeps HTTP/1.1. Servers from
// node:http2 and node:https, with a CA generated at test time (given as `ca`).

const http2 = require('node:http2')
const https = require('node:https')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { createCertificates, listen, within } = require('../testing')
const { answerVersion: answer } = require('./helpers/responses.js')
const { useTempFile } = require('./helpers/setup.js')

const file = useTempFile(test, 3 * 1024 * 1024, { name: 'h2.bin' })

let certs
test.before(async () => {
  certs = await createCertificates()
})

/**
 * Starts `server` and returns its upload URL; the test's teardown closes it and every connection
 * it accepted, the client's idle pooled one included (testing's `listen`).
 */
async function serve(t, server) {
  const { port, close } = await listen(server)
  t.teardown(close)
  return `https://127.0.0.1:${port}/up`
}

const upload = (url, options) =>
  within(uploadFile({ url, filePath: file.path, name: 'file', ca: certs.ca, ...options }), 15000, 'the upload')

test('enableHttp2: true negotiates HTTP/2 by ALPN; the whole body arrives with its Content-Length; progress reaches 100', async (t) => {
  const server = http2.createSecureServer({ key: certs.key, cert: certs.cert, allowHTTP1: true }, answer)
  const url = await serve(t, server)
  const task = upload(url, { enableHttp2: true })
  const res = await task
  const body = JSON.parse(res.data)
  t.is(res.statusCode, 200)
  t.is(body.version, '2.0')
  t.is(body.bytes, body.length, 'the announced length arrived')
  t.true(body.bytes > file.size)
})

test('progress events and headers arrive over HTTP/2 too', async (t) => {
  const server = http2.createSecureServer({ key: certs.key, cert: certs.cert, allowHTTP1: true }, answer)
  const url = await serve(t, server)
  const events = []
  const task = uploadFile({ url, filePath: file.path, name: 'file', ca: certs.ca, enableHttp2: true })
  task.onProgressUpdate((e) => events.push(e.progress))
  task.onHeadersReceived(({ header }) => events.push(header['content-type']))
  const res = await within(task, 15000, 'the upload')
  t.is(JSON.parse(res.data).version, '2.0')
  t.deepEqual(events.slice(-2), [100, 'application/json'])
})

test('without enableHttp2 the same server is spoken to in HTTP/1.1', async (t) => {
  const server = http2.createSecureServer({ key: certs.key, cert: certs.cert, allowHTTP1: true }, answer)
  const url = await serve(t, server)
  for (const options of [{}, { enableHttp2: false }, { enableHttp2: null }]) {
    const res = await upload(url, options)
    t.is(JSON.parse(res.data).version, '1.1')
  }
})

test('enableHttp2: true still works with a server that speaks only HTTP/1.1', async (t) => {
  const server = https.createServer({ key: certs.key, cert: certs.cert }, answer)
  const url = await serve(t, server)
  const res = await upload(url, { enableHttp2: true })
  const body = JSON.parse(res.data)
  t.is(body.version, '1.1')
  t.is(body.bytes, body.length)
})

/** Counts the TLS connections `server` accepts. */
function countConnections(server) {
  const count = { tls: 0 }
  server.on('secureConnection', () => count.tls++)
  return count
}

test('16 uploads started together share one HTTP/2 connection: the first opens it, the others wait for it', async (t) => {
  const server = http2.createSecureServer({ key: certs.key, cert: certs.cert, allowHTTP1: true }, answer)
  const count = countConnections(server)
  const url = await serve(t, server)
  const results = await Promise.all(Array.from({ length: 16 }, () => upload(url, { enableHttp2: true })))
  for (const res of results) {
    const body = JSON.parse(res.data)
    t.is(body.version, '2.0')
    t.is(body.bytes, body.length)
  }
  t.is(count.tls, 1, 'one TLS handshake for all 16')
})

test('16 uploads started together to an HTTP/1.1-only server with enableHttp2: all arrive, on connections of their own', async (t) => {
  const server = https.createServer({ key: certs.key, cert: certs.cert }, answer)
  const count = countConnections(server)
  const url = await serve(t, server)
  const results = await Promise.all(Array.from({ length: 16 }, () => upload(url, { enableHttp2: true })))
  for (const res of results) t.is(JSON.parse(res.data).version, '1.1')
  t.true(count.tls >= 2, `HTTP/1.1 cannot share one connection between uploads in flight (${count.tls})`)
})

test('enableHttp2 not a boolean: ERR_INVALID_ARG_TYPE', async (t) => {
  const error = await t.throwsAsync(upload('https://127.0.0.1:1/', { enableHttp2: 'yes' }))
  t.is(error.errMsg, 'uploadFile:fail parameter error: parameter.enableHttp2 should be Boolean instead of String')
})
