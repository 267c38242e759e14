'use strict'

// One stuck connection does not stall HTTP/2 (docs/API.md §2, "HTTP/2"): an upload waits for
// another upload's first connection to its origin only for a bounded time, then opens its own.
// A real TCP front before a node:http2 TLS server (CA generated at test time) swallows the first
// connection it accepts (accepts it, forwards nothing, answers nothing) and forwards the others.

const http2 = require('node:http2')
const net = require('node:net')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { listen, within } = require('../testing')
const { useCertificates, useTempFile } = require('./helpers/setup.js')

const file = useTempFile(test, 256 * 1024, { name: 'stall.bin' })

const certs = useCertificates(test)

/** Reads each request whole, then answers with the byte count of its body and its length. */
function answer(req, res) {
  let bytes = 0
  req.on('data', (chunk) => {
    bytes += chunk.length
  })
  req.on('end', () => res.end(`${bytes} of ${req.headers['content-length']}`))
}

/**
 * An HTTP/2 origin behind a front that swallows its first connection; the test's teardown
 * closes both.
 */
async function swallowedOrigin(t) {
  const backend = http2.createSecureServer({ key: certs.key, cert: certs.cert, allowHTTP1: true }, answer)
  const { port, close } = await listen(backend)
  t.teardown(close)
  const front = await swallowingFront(port)
  t.teardown(front.close)
  return { url: `https://127.0.0.1:${front.port}/up`, front }
}

/**
 * A TCP front to `port` that swallows the first connection and forwards every later one.
 * @returns {Promise<{ port: number, connections: () => number, first: Promise<void>, close: () => Promise<void> }>}
 */
async function swallowingFront(port) {
  let count = 0
  let firstArrived
  const first = new Promise((resolve) => {
    firstArrived = resolve
  })
  const server = net.createServer((socket) => {
    count++
    if (count === 1) {
      socket.resume() // read and drop everything; never answer
      firstArrived()
      return
    }
    const upstream = net.connect(port, '127.0.0.1')
    socket.pipe(upstream).pipe(socket)
    socket.on('error', () => upstream.destroy())
    upstream.on('error', () => socket.destroy())
  })
  const { port: frontPort, close } = await listen(server)
  return { port: frontPort, connections: () => count, first, close }
}

test('a front that swallows the first connection holds nobody: B, C and D open a connection of their own after the bounded wait and succeed, and A takes it too', async (t) => {
  const { url, front } = await swallowedOrigin(t)
  // Today's build: B, C and D wait on A's connection until their idleTimeout, as A does.
  const options = { url, filePath: file.path, name: 'file', ca: certs.ca, enableHttp2: true, idleTimeout: 4000 }
  const started = Date.now()
  const settle = (task) =>
    within(task, 10000, 'an upload').then(
      (res) => ({ res, at: Date.now() - started }),
      (error) => ({ error, at: Date.now() - started }),
    )
  const a = settle(uploadFile(options))
  await within(front.first, 5000, 'the first connection')
  const others = await Promise.all(['B', 'C', 'D'].map(() => settle(uploadFile(options))))
  for (const { res, error, at } of others) {
    t.is(error, undefined, 'B, C and D succeed')
    if (error) continue
    const [bytes, length] = res.data.split(' of ')
    t.is(res.statusCode, 200)
    t.is(bytes, length, 'the whole body arrived')
    t.true(at < 3500, `promptly: after the 1 s bound, well before the idleTimeout (${at} ms)`)
  }
  // A's own connection never comes up; the pool hands it the connection B opened.
  const first = await a
  t.is(first.error, undefined, 'A succeeds on the connection B opened')
  t.true(first.at < 3500, `A too, before its idleTimeout (${first.at} ms)`)
  t.is(front.connections(), 2, 'the swallowed one and one more, shared by all four')
})

test('alone on a swallowed connection, an upload fails by its idleTimeout in connect', async (t) => {
  const { url, front } = await swallowedOrigin(t)
  const task = uploadFile({
    url,
    filePath: file.path,
    name: 'file',
    ca: certs.ca,
    enableHttp2: true,
    idleTimeout: 1000,
  })
  const error = await t.throwsAsync(within(task, 10000, 'the upload'))
  t.is(error.code, 'ETIMEDOUT')
  t.is(error.phase, 'connect')
  t.is(front.connections(), 1)
})
