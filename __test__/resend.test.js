'use strict'

// At most once unless asked (docs/API.md §2.3): an upload is sent again without the caller's
// say-so only when the receiver provably did not process it; `retry` repeats an upload that was
// written whole only when it carries an `Idempotency-Key`; pooled connections are not kept idle
// for as long as the server keeps them (its `Keep-Alive: timeout=N` hint, 4 s at most); every
// result and failure says how many times the upload was sent. Against node:http servers that
// count the complete bodies they received.

const http = require('node:http')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { closedPort, listen } = require('../testing')
const { useTempFile } = require('./helpers/setup.js')
const { outcomeOf } = require('./helpers/wait.js')

const file = useTempFile(test, 64 * 1024, { name: 'resend.bin' })

/**
 * A node:http server that reads every request body whole, counts the complete ones (as many
 * bytes as `Content-Length`) and their `Idempotency-Key`s, then lets `answer(req, res, nth)`
 * respond, where `nth` is the request's number on its connection (1 for the first).
 */
async function countingServer(t, answer, options = {}) {
  const state = { bodies: 0, keys: [], connections: 0 }
  const server = http.createServer(options, (req, res) => {
    const nth = ++req.socket.requests
    let bytes = 0
    req.on('data', (chunk) => {
      bytes += chunk.length
    })
    req.on('end', () => {
      if (bytes === Number(req.headers['content-length'])) {
        state.bodies++
        state.keys.push(req.headers['idempotency-key'])
      }
      answer(req, res, nth)
    })
  })
  server.on('connection', (socket) => {
    state.connections++
    socket.requests = 0
  })
  const { port, close } = await listen(server)
  t.teardown(close)
  state.url = `http://127.0.0.1:${port}/up`
  return state
}

const ok = (_req, res) => res.end('stored')
const start = (options) => uploadFile({ filePath: file.path, name: 'file', ...options })
const settle = (task) => outcomeOf(task, 20000)

test('a reused keep-alive connection reset after the whole body went out: the call fails with ECONNRESET, one body per call', async (t) => {
  // The second request on a connection is stored, then the connection is reset 1.5 s later.
  const server = await countingServer(t, (req, res, nth) => {
    if (nth === 1) return ok(req, res)
    setTimeout(() => req.socket.resetAndDestroy(), 1500)
  })
  const first = await settle(start({ url: server.url }))
  t.is(first.res?.statusCode, 200, first.error?.errMsg)
  const second = await settle(start({ url: server.url }))
  t.is(server.bodies, 2, 'exactly one complete body per call')
  t.is(server.connections, 1, 'not sent again on a new connection')
  t.is(second.error?.code, 'ECONNRESET')
  t.is(second.error.attempts, 1)
  t.is(first.res.attempts, 1)
})

test('a server that reads the whole body and drops the connection gets it once with retry and no Idempotency-Key', async (t) => {
  const server = await countingServer(t, (req) => req.socket.destroy())
  const { error } = await settle(start({ url: server.url, retry: { limit: 2, backoff: 10 } }))
  t.is(server.bodies, 1)
  t.is(error?.code, 'ECONNRESET')
  t.is(error.attempts, 1)
})

test('with an Idempotency-Key, retry sends the whole-written upload again, with the same key each time', async (t) => {
  const server = await countingServer(t, (req) => req.socket.destroy())
  const header = { 'Idempotency-Key': '"8e03978e-40d5-43e8-bc93-6894a57f9324"' }
  const { error } = await settle(start({ url: server.url, header, retry: { limit: 2, backoff: 10 } }))
  t.is(server.bodies, 3)
  t.deepEqual(server.keys, Array(3).fill(header['Idempotency-Key']))
  t.is(error?.code, 'ECONNRESET')
  t.is(error.attempts, 3)
})

test('a reset before the whole body went out is still retried without a key', async (t) => {
  const server = await countingServer(t, ok)
  let resets = 0
  server.bodies = 0
  // A front that resets the first connection once a third of the body arrived.
  const front = http.createServer((req, res) => {
    if (resets++ === 0) {
      let bytes = 0
      req.on('data', (chunk) => {
        bytes += chunk.length
        if (bytes >= file.size / 3) req.socket.resetAndDestroy()
      })
      return
    }
    const forward = http.request(server.url, { method: 'POST', headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers)
      answer.pipe(res)
    })
    req.pipe(forward)
  })
  const { port, close } = await listen(front)
  t.teardown(close)
  const url = `http://127.0.0.1:${port}/up`
  const { res, error } = await settle(start({ url, retry: { limit: 2, backoff: 10 }, maxBytesPerSecond: 128 * 1024 }))
  t.is(res?.statusCode, 200, error?.errMsg)
  t.is(res.attempts, 2)
  t.is(server.bodies, 1)
})

test('attempts is on every result and failure: 0 before any send, 1 without retry, each repeat counted', async (t) => {
  const missing = await settle(
    uploadFile({ url: 'http://127.0.0.1:9/up', filePath: `${file.path}.missing`, name: 'f' }),
  )
  t.is(missing.error?.code, 'ENOENT')
  t.is(missing.error.attempts, 0)
  const port = await closedPort()
  const refused = await settle(start({ url: `http://127.0.0.1:${port}/up` }))
  t.is(refused.error?.code, 'ECONNREFUSED')
  t.is(refused.error.attempts, 1)
  const retried = await settle(start({ url: `http://127.0.0.1:${port}/up`, retry: { limit: 2, backoff: 10 } }))
  t.is(retried.error?.code, 'ECONNREFUSED')
  t.is(retried.error.attempts, 3)
  const task = start({ url: `http://127.0.0.1:${port}/up`, retry: { limit: 5, backoff: 10000 } })
  setTimeout(() => task.abort(), 200)
  const aborted = await settle(task)
  t.is(aborted.error?.code, 'ABORT_ERR')
  t.is(aborted.error.attempts, 1)
})

test('a Retry-After beyond 64 bits is over the cap: the 429 is the result, sent once', async (t) => {
  const server = await countingServer(t, (_req, res) => {
    res.writeHead(429, { 'Retry-After': '99999999999999999999999' })
    res.end('later')
  })
  const { res, error } = await settle(start({ url: server.url, retry: { limit: 2, backoff: 10 } }))
  t.is(server.bodies, 1)
  t.is(res?.statusCode, 429, error?.errMsg)
  t.is(res.attempts, 1)
})

test('the idle-close race: server keepAliveTimeout 50 ms, uploads 60 ms apart, 20 rounds all succeed, 20 bodies', async (t) => {
  const server = await countingServer(t, ok, { keepAliveTimeout: 50 })
  for (let round = 0; round < 20; round++) {
    const { res, error } = await settle(start({ url: server.url }))
    t.is(res?.statusCode, 200, `round ${round}: ${error?.code} ${error?.errMsg}`)
    await new Promise((resolve) => setTimeout(resolve, 60))
  }
  t.is(server.bodies, 20)
})

test("the server's Keep-Alive: timeout=1 hint is honoured: its connections are not kept idle", async (t) => {
  // node:http sends `Keep-Alive: timeout=1` for a keepAliveTimeout of 1.5 s: a connection idle for
  // 100 ms would still be open, but the hint leaves no time to reuse it safely.
  const server = await countingServer(t, ok, { keepAliveTimeout: 1500 })
  for (let round = 0; round < 3; round++) {
    const { res, error } = await settle(start({ url: server.url }))
    t.is(res?.statusCode, 200, error?.errMsg)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.is(server.connections, 3, 'a new connection for each upload')
  t.is(server.bodies, 3)
  const kept = await countingServer(t, ok, { keepAliveTimeout: 5000 })
  for (let round = 0; round < 3; round++) {
    const { res, error } = await settle(start({ url: kept.url }))
    t.is(res?.statusCode, 200, error?.errMsg)
  }
  t.is(kept.connections, 1, 'timeout=5: the connection is reused')
})

test('without a shorter hint, a pooled connection stays idle 4 s at most', async (t) => {
  // `Keep-Alive: timeout=10`: the server would keep the connection 10 s; the pool does not.
  const server = await countingServer(t, ok, { keepAliveTimeout: 10000 })
  const first = await settle(start({ url: server.url }))
  t.is(first.res?.statusCode, 200, first.error?.errMsg)
  await new Promise((resolve) => setTimeout(resolve, 4500))
  const second = await settle(start({ url: server.url }))
  t.is(second.res?.statusCode, 200, second.error?.errMsg)
  t.is(server.connections, 2, 'the idle connection was not reused after 4.5 s')
})
