'use strict'

// retry (docs/API.md §2.3): an upload the server cannot have processed (connection refused, or
// reset before the whole body went out; after that only with an Idempotency-Key, see
// resend.test.js) or was asked to come back later (429, 503 with Retry-After) is
// sent again, from a re-opened file; the result says how many attempts were made. Against a
// scripted node:http server that answers its n-th request as the script says and forwards the
// rest to the recording test server, which checks the bytes.

const http = require('node:http')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { closedPort } = require('../testing')
const { forwardTo } = require('./helpers/proxy.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { outcomeOf, until } = require('./helpers/wait.js')

const server = useServer(test)
const file = useTempFile(test, 512 * 1024, { name: 'retry.bin' })

/**
 * A server that answers request n as `script[n]` says: `'reset'` destroys the connection as the
 * request arrives, `'reset-midway'` once half the file arrived (still before any response byte), `{ status, headers }` answers that, and anything past the script is forwarded
 * to a fresh endpoint of the recording server (`target`). `seen` counts requests.
 */
async function scripted(t, script) {
  const target = server.endpoint()
  const state = { seen: 0, target }
  const forward = forwardTo(target)
  const front = http.createServer((req, res) => {
    const step = script[state.seen++]
    if (step === 'reset') {
      req.socket.destroy()
      return
    }
    if (step === 'reset-midway') {
      let bytes = 0
      req.on('data', (chunk) => {
        bytes += chunk.length
        if (bytes >= file.size / 2) req.socket.destroy()
      })
      return
    }
    if (step) {
      req.resume()
      req.on('end', () => {
        res.writeHead(step.status, { 'Content-Type': 'text/plain', ...step.headers })
        res.end(`scripted ${step.status}`)
      })
      return
    }
    forward(req, res)
  })
  await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    front.closeAllConnections()
    front.close()
  })
  state.url = `http://127.0.0.1:${front.address().port}/up`
  return state
}

const start = (options) => uploadFile({ filePath: file.path, name: 'file', ...options })
/** Paced to ~0.5 s per body, so that a reset as the request arrives comes before it all went out. */
const PACED = { maxBytesPerSecond: 1024 * 1024 }
/** The task settled (bounded): `{ res }` or `{ error }`. */
const settle = (task) => outcomeOf(task, 20000)

test('a connection reset before any response byte is retried; the file arrives whole; attempts counted', async (t) => {
  const front = await scripted(t, ['reset', 'reset-midway'])
  const task = start({ url: front.url, retry: { limit: 2, backoff: 20 }, maxBytesPerSecond: 1024 * 1024 }) // ~0.5 s per body
  const events = []
  task.onProgressUpdate((e) => events.push(e.totalBytesSent))
  const { res, error } = await settle(task)
  t.falsy(error, error?.errMsg)
  t.is(res.statusCode, 200)
  t.is(res.attempts, 3)
  t.is(front.seen, 3)
  t.is((await front.target.received()).file.sha256, file.sha256)
  // Within one body every event reports more bytes than the one before: an event that does not
  // is a body sent again, counted from 0.
  const restarts = events.filter((sent, i) => i > 0 && sent <= events[i - 1])
  t.true(restarts.length >= 1, `progress starts again for a re-sent body: ${events}`)
})

test('without retry, a reset fails at once with ECONNRESET; attempts is 1', async (t) => {
  const front = await scripted(t, ['reset'])
  const { error } = await settle(start({ url: front.url, ...PACED }))
  t.is(error?.code, 'ECONNRESET')
  t.is(error.attempts, 1)
  t.is(front.seen, 1)
  const ok = await scripted(t, [])
  const { res } = await settle(start({ url: ok.url }))
  t.is(res.attempts, 1)
})

test('when the retries are used up, the last failure is the result', async (t) => {
  const front = await scripted(t, ['reset', 'reset', 'reset', 'reset'])
  const { error } = await settle(start({ url: front.url, retry: { limit: 2, backoff: 10 }, ...PACED }))
  t.is(error?.code, 'ECONNRESET')
  t.is(front.seen, 3, 'one attempt and two repeats')
})

test('a refused connection is retried: a server that starts listening during the backoff gets the file', async (t) => {
  const port = await closedPort()
  const target = server.endpoint()
  const task = start({ url: `http://127.0.0.1:${port}/up`, retry: { limit: 1, backoff: 1500 } })
  const late = http.createServer(forwardTo(target))
  t.teardown(() => {
    late.closeAllConnections()
    late.close()
  })
  // A refused connect leaves no trace a test can wait on: 300 ms for the first attempt to be
  // refused, well inside the 1500 ms backoff.
  await new Promise((resolve) => setTimeout(resolve, 300))
  await new Promise((resolve) => late.listen(port, '127.0.0.1', resolve))
  const { res, error } = await settle(task)
  t.falsy(error, error?.errMsg)
  t.is(res.attempts, 2)
  t.is((await target.received()).file.sha256, file.sha256)
})

test('503 with Retry-After: 1 waits a second, then sends again', async (t) => {
  const front = await scripted(t, [{ status: 503, headers: { 'Retry-After': '1' } }])
  const started = Date.now()
  const { res, error } = await settle(start({ url: front.url, retry: { limit: 2, backoff: 10 } }))
  t.falsy(error, error?.errMsg)
  t.is(res.statusCode, 200)
  t.is(res.attempts, 2)
  t.true(Date.now() - started >= 950, 'the Retry-After was honoured, not the 10 ms backoff')
  t.is((await front.target.received()).file.sha256, file.sha256)
})

test('429 without Retry-After uses the backoff; used up, the last 429 is the result', async (t) => {
  const front = await scripted(t, [{ status: 429 }, { status: 429 }, { status: 429 }])
  const { res } = await settle(start({ url: front.url, retry: { limit: 2, backoff: 10 } }))
  t.is(res.statusCode, 429)
  t.is(res.data, 'scripted 429')
  t.is(res.attempts, 3)
})

test('a Retry-After longer than maxRetryAfter, or past the timeout, makes the 429/503 the result', async (t) => {
  const long = await scripted(t, [{ status: 429, headers: { 'Retry-After': '120' } }])
  const a = await settle(start({ url: long.url, retry: {} }))
  t.is(a.res.statusCode, 429)
  t.is(a.res.attempts, 1)
  t.is(long.seen, 1)

  const capped = await scripted(t, [{ status: 503, headers: { 'Retry-After': '2' } }])
  const b = await settle(start({ url: capped.url, retry: { maxRetryAfter: 1000 } }))
  t.is(b.res.statusCode, 503)

  const pastDeadline = await scripted(t, [{ status: 503, headers: { 'Retry-After': '5' } }])
  const started = Date.now()
  const c = await settle(start({ url: pastDeadline.url, retry: {}, timeout: 2000 }))
  t.is(c.res.statusCode, 503, 'the wait would pass the deadline: not started')
  t.true(Date.now() - started < 2000)
})

test('other statuses and other failures are not retried', async (t) => {
  const front = await scripted(t, [{ status: 500 }])
  const { res } = await settle(start({ url: front.url, retry: { backoff: 10 } }))
  t.is(res.statusCode, 500)
  t.is(res.attempts, 1)
  const { error } = await settle(
    start({ url: server.endpoint().url, filePath: `${file.path}.missing`, retry: { backoff: 10 } }),
  )
  t.is(error?.code, 'ENOENT')
})

test('abort() during the backoff settles at once; the idle timeout does not count the backoff', async (t) => {
  const front = await scripted(t, ['reset'])
  const task = start({ url: front.url, retry: { backoff: 10000 }, ...PACED })
  await until(() => front.seen === 1, 5000, 'the first attempt arriving')
  // The client enters its backoff once it reads the reset, which it does not announce: 300 ms
  // more, well inside the 10 s backoff.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const aborting = settle(task)
  task.abort()
  t.is((await aborting).error?.code, 'ABORT_ERR')
  t.is(front.seen, 1)

  const idle = await scripted(t, ['reset'])
  const { res, error } = await settle(start({ url: idle.url, retry: { backoff: 1500 }, idleTimeout: 500, ...PACED }))
  t.falsy(error, error?.errMsg)
  t.is(res.attempts, 2)
})

test('retry must be an object of numbers', async (t) => {
  for (const [retry, code] of [
    [3, 'ERR_INVALID_ARG_TYPE'],
    [{ limit: '2' }, 'ERR_INVALID_ARG_TYPE'],
    [{ limit: -1 }, 'ERR_INVALID_ARG_VALUE'],
    [{ limit: 1.5 }, 'ERR_INVALID_ARG_VALUE'],
    [{ backoff: Number.NaN }, 'ERR_INVALID_ARG_VALUE'],
  ]) {
    const { error } = await settle(start({ url: server.endpoint().url, retry }))
    t.is(error?.code, code, JSON.stringify(retry))
  }
})
