'use strict'

// enableQuic (docs/API.md §2.6): HTTP/3 to an `https:` origin, against an HTTP/3 server on
// 127.0.0.1 (helpers/h3_server.py, Python's aioquic, with a CA generated at test time given as
// `ca`): the bytes arrive exact, progress reaches 100, abort ends the stream, idleTimeout ends an
// upload to a server that stopped reading, the profile says `h3`. A TCP-only origin (no UDP
// listener) still gets the upload, over TCP, within the fallback wait, and the next upload to it
// does not wait again.

const fsp = require('node:fs/promises')
const http2 = require('node:http2')
const https = require('node:https')
const os = require('node:os')
const path = require('node:path')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { listen, within } = require('../testing')
const { jsonLine, runFixture } = require('./helpers/child.js')
const { assertExit, cli } = require('./helpers/cli.js')
const { startH3Server } = require('./helpers/h3.js')
const { answerVersion: answer } = require('./helpers/responses.js')
const { useCertificates, useTempFile } = require('./helpers/setup.js')

const KiB = 1024
const MiB = 1024 * KiB
/** src/quic.rs HANDSHAKE_WAIT. */
const FALLBACK_MS = 1000

const certs = useCertificates(test)
const small = useTempFile(test, 64 * KiB, { name: 'small.bin' })
const mib = useTempFile(test, MiB, { name: 'one-mib.bin' })
const large = useTempFile(test, 32 * MiB, { name: 'large.bin' })

/** An HTTP/3 server of its own for the test (`options`: startH3Server's); closed at its end. */
async function h3Server(t, options) {
  const server = await startH3Server(certs, options)
  t.teardown(server.close)
  return server
}

/** Starts an upload with `enableQuic` and the test CA; the task. */
const start = (options) => uploadFile({ name: 'file', ca: certs.ca, enableQuic: true, ...options })
/** The upload's result, or its failure; fails the test after 60 s. */
const upload = (options) => within(start(options), 60000, 'the upload')

/** A TCP-only `https:` origin (nothing listens on its UDP port); its upload URL. */
async function tcpOnly(t, server) {
  const { port, close } = await listen(server)
  t.teardown(close)
  return `https://127.0.0.1:${port}/up`
}

/** The test CA in a PEM file of a temp dir that the test's teardown removes; its path. */
async function caFile(t) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'upload-task-h3-ca-'))
  t.teardown(() => fsp.rm(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'ca.pem')
  await fsp.writeFile(file, certs.ca)
  return file
}

/** Runs `task`, returning its result and how long it took in ms. */
async function timed(task) {
  const start = performance.now()
  const result = await task
  return { result, ms: performance.now() - start }
}

// Serial: these run first and alone, so that no other upload shares their timing.
test.serial(
  'a TCP-only origin gets the upload over TCP after the fallback wait; the next upload does not wait',
  async (t) => {
    const url = await tcpOnly(t, https.createServer({ key: certs.key, cert: certs.cert }, answer))
    const progress = []
    const task = start({ url, filePath: small.path })
    task.onProgressUpdate((e) => progress.push(e.totalBytesSent))
    const first = await timed(within(task, 60000, 'the upload'))
    const body = JSON.parse(first.result.data)
    t.is(body.version, '1.1')
    t.is(body.bytes, body.length)
    t.is(first.result.attempts, 1, 'the dropped QUIC request is not an attempt')
    t.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
      'progress never went back: the dropped request reported none',
    )
    t.true(first.ms >= FALLBACK_MS, `the first upload waited for QUIC (${first.ms.toFixed(0)} ms)`)
    t.true(first.ms < FALLBACK_MS + 4000, `and no longer than the fallback wait (${first.ms.toFixed(0)} ms)`)
    const second = await timed(upload({ url, filePath: small.path }))
    t.is(JSON.parse(second.result.data).version, '1.1')
    t.true(second.ms < FALLBACK_MS, `the second upload did not wait (${second.ms.toFixed(0)} ms)`)
    // Another client of the environment (other settings: HTTP/2 offered) knows the origin too.
    const third = await timed(upload({ url, filePath: small.path, enableHttp2: true }))
    t.is(JSON.parse(third.result.data).version, '1.1')
    t.true(third.ms < FALLBACK_MS, `the upload with other settings did not wait (${third.ms.toFixed(0)} ms)`)
    t.log(`first ${first.ms.toFixed(0)} ms, second ${second.ms.toFixed(0)} ms, third ${third.ms.toFixed(0)} ms`)
  },
)

test.serial('idleTimeout shorter than the fallback wait ends the upload in phase connect', async (t) => {
  const url = await tcpOnly(t, https.createServer({ key: certs.key, cert: certs.cert }, answer))
  const error = await t.throwsAsync(upload({ url, filePath: small.path, idleTimeout: 500 }))
  t.is(error.code, 'ETIMEDOUT')
  t.is(error.phase, 'connect')
})

test.serial('with enableHttp2 the fallback is HTTP/2', async (t) => {
  const server = http2.createSecureServer({ key: certs.key, cert: certs.cert, allowHTTP1: true }, answer)
  const url = await tcpOnly(t, server)
  const res = await upload({ url, filePath: small.path, enableHttp2: true, enableProfile: true })
  t.is(JSON.parse(res.data).version, '2.0')
  t.is(res.profile.protocol, 'h2')
})

test('1 MiB with formData arrives byte-exact over HTTP/3; progress reaches 100; profile.protocol is h3', async (t) => {
  const server = await h3Server(t)
  const progress = []
  const task = start({ url: server.url, filePath: mib.path, formData: { a: '1', b: 'two' }, enableProfile: true })
  task.onProgressUpdate((e) => progress.push(e.progress))
  const res = await within(task, 60000, 'the upload')
  const body = JSON.parse(res.data)
  t.is(res.statusCode, 200)
  t.is(body.httpVersion, 'HTTP/3')
  t.deepEqual(body.fields, { a: '1', b: 'two' })
  t.is(body.file.filename, 'one-mib.bin')
  t.is(body.file.bytes, mib.size)
  t.is(body.file.sha256, mib.sha256)
  t.true(body.closed, 'the closing delimiter arrived')
  t.is(body.bytes, body.contentLength)
  t.is(progress.at(-1), 100)
  t.is(res.profile.protocol, 'h3')
  t.is(res.profile.sendBytesCount, body.contentLength)
  // Not observed over QUIC (docs/API.md §2.6).
  t.is(res.profile.connectStart, res.profile.fetchStart)
  t.is(res.profile.connectEnd, res.profile.fetchStart)
  t.false(res.profile.socketReused)
  t.is(res.profile.peerIP, undefined)
  t.is(res.profile.port, undefined)
})

test('the CLI: --http3 uploads over HTTP/3', async (t) => {
  const server = await h3Server(t)
  const run = await cli(['-q', '--json', '--cacert', await caFile(t), '--http3', server.url, mib.path])
  assertExit(t, run, 0)
  const body = JSON.parse(JSON.parse(run.stdout).data)
  t.is(body.httpVersion, 'HTTP/3')
  t.is(body.file.sha256, mib.sha256)
})

test('to an origin whose QUIC worked, a request waits for a free stream past the fallback wait', async (t) => {
  const server = await h3Server(t, { maxStreams: 2 })
  await upload({ url: server.url, filePath: small.path })
  // Two uploads hold the connection's two streams for 2.5 s after their bodies arrived.
  const slow = server.url.replace('/up', '/slow')
  const holders = [start({ url: slow, filePath: small.path }), start({ url: slow, filePath: small.path })]
  await server.waitFor(() => server.events.filter((e) => e.path === '/slow').length === 2)
  const waited = await timed(upload({ url: server.url, filePath: small.path }))
  // Nothing listens on TCP: a fallback would have failed with ECONNREFUSED.
  t.is(JSON.parse(waited.result.data).httpVersion, 'HTTP/3')
  t.true(waited.ms > FALLBACK_MS, `it waited ${waited.ms.toFixed(0)} ms for a stream`)
  for (const holder of holders) t.is((await within(holder, 10000, 'a slow upload')).statusCode, 200)
})

test('without enableQuic nothing goes over QUIC', async (t) => {
  const server = await h3Server(t)
  const error = await t.throwsAsync(upload({ url: server.url, filePath: small.path, enableQuic: false, timeout: 3000 }))
  // Nothing listens on the TCP port of that number: the upload went over TCP only.
  t.is(error.code, 'ECONNREFUSED')
  t.is(server.events.length, 0, 'the HTTP/3 server saw no request')
})

test('300 MiB arrives byte-exact over HTTP/3, streamed: peak RSS grows by less than 100 MiB', async (t) => {
  const server = await h3Server(t)
  const file = await require('../testing').makeTempFile(300 * MiB, { name: 'h3-300.bin' })
  t.teardown(() => file.remove())
  const run = await runFixture('h3-memory.js', [server.url, file.path, small.path, await caFile(t)], {
    timeoutMs: 170000,
  })
  const report = jsonLine(t, run)
  const body = JSON.parse(report.data)
  t.is(report.statusCode, 200, report.errMsg)
  t.is(body.httpVersion, 'HTTP/3')
  t.is(body.file.bytes, file.size)
  t.is(body.file.sha256, file.sha256)
  t.deepEqual(body.fields, { big: 'yes' })
  const growth = report.hwmAfter - report.hwmBefore
  t.log(`VmHWM +${(growth / MiB).toFixed(1)} MiB over 300 MiB`)
  t.true(growth < 100 * MiB, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB`)
})

test('abort mid-body fails with ABORT_ERR and ends the stream short of its Content-Length', async (t) => {
  const server = await h3Server(t)
  const task = start({ url: server.url, filePath: large.path, maxBytesPerSecond: 8 * MiB })
  task.onProgressUpdate((e) => {
    if (e.totalBytesSent > 2 * MiB) task.abort()
  })
  const error = await t.throwsAsync(within(task, 60000, 'the upload'))
  t.is(error.code, 'ABORT_ERR')
  const ended = await server.waitFor((e) => e.path === '/up')
  t.true(ended.bytes < ended.contentLength, `the server got ${ended.bytes} of ${ended.contentLength} bytes`)
  t.true(ended.bytes > 0, 'the body had started')
})

/**
 * Uploads `file` with `options` to `path` of a fresh HTTP/3 server and checks that it fails with
 * ETIMEDOUT in `phase` within 15 s; returns the server.
 */
async function timesOut(t, path, file, options, phase) {
  const server = await h3Server(t)
  const start = performance.now()
  const error = await t.throwsAsync(upload({ url: server.url.replace('/up', path), filePath: file.path, ...options }))
  t.is(error.code, 'ETIMEDOUT')
  t.is(error.phase, phase)
  t.true(performance.now() - start < 15000)
  return server
}

test('idleTimeout ends an upload to a server that stopped reading (phase send)', async (t) => {
  await timesOut(t, '/stall', large, { idleTimeout: 1500 }, 'send')
})

test('idleTimeout ends an upload whose server read the body and never answers (phase wait)', async (t) => {
  const server = await timesOut(t, '/silent', mib, { idleTimeout: 1500 }, 'wait')
  const ended = await server.waitFor((e) => e.path === '/silent')
  t.is(ended.bytes, ended.contentLength, 'the whole body had arrived')
})

test('timeout ends an upload to a server that stopped reading', async (t) => {
  await timesOut(t, '/stall', large, { timeout: 1500 }, 'send')
})

test('a 307 is followed over HTTP/3: the file is sent again, whole', async (t) => {
  const server = await h3Server(t)
  const progress = []
  const task = start({ url: server.url.replace('/up', '/redirect'), filePath: mib.path, enableProfile: true })
  task.onProgressUpdate((e) => progress.push(e.progress))
  const res = await within(task, 60000, 'the upload')
  const body = JSON.parse(res.data)
  t.is(res.statusCode, 200)
  t.is(body.path, '/up')
  t.is(body.httpVersion, 'HTTP/3')
  t.is(body.file.sha256, mib.sha256)
  // The server prints its events as it answers: the response may arrive before the line.
  await server.waitFor((e) => e.path === '/up')
  t.deepEqual(
    server.events.map((e) => [e.path, e.bytes === e.contentLength]),
    [
      ['/redirect', true],
      ['/up', true],
    ],
  )
  t.is(res.profile.protocol, 'h3')
  t.is(progress.at(-1), 100)
})

test('the GET of a 303 (no body) goes over TCP', async (t) => {
  const server = await h3Server(t)
  const tcp = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) =>
    res.end(JSON.stringify({ version: req.httpVersion, method: req.method, path: req.url })),
  )
  // TCP on the port number of the HTTP/3 server's UDP socket: the same origin.
  await new Promise((resolve, reject) => {
    tcp.once('error', reject)
    tcp.listen(server.port, '127.0.0.1', resolve)
  })
  t.teardown(() => {
    tcp.closeAllConnections()
    tcp.close()
  })
  const res = await upload({ url: server.url.replace('/up', '/see-other'), filePath: mib.path, enableProfile: true })
  t.deepEqual(JSON.parse(res.data), { version: '1.1', method: 'GET', path: '/after' })
  t.is(res.profile.protocol, 'http1.1')
  const posted = await server.waitFor((e) => e.path === '/see-other')
  t.is(posted.bytes, posted.contentLength, 'the POST went whole over HTTP/3')
})

test('a 413 answered before the body is the result', async (t) => {
  const server = await h3Server(t)
  const res = await upload({ url: server.url.replace('/up', '/early'), filePath: large.path })
  t.is(res.statusCode, 413)
  t.is(res.data, 'too large')
  const ended = await server.waitFor((e) => e.path === '/early')
  t.true(ended.bytes < ended.contentLength, `the server got ${ended.bytes} of ${ended.contentLength} bytes`)
})

test('retry sends the upload again over HTTP/3 after a 503', async (t) => {
  const server = await h3Server(t)
  const res = await upload({ url: server.url.replace('/up', '/busy'), filePath: mib.path, retry: { limit: 2 } })
  const body = JSON.parse(res.data)
  t.is(res.statusCode, 200)
  t.is(res.attempts, 2)
  t.is(body.httpVersion, 'HTTP/3')
  t.is(body.file.sha256, mib.sha256)
})

test('maxBytesPerSecond paces the body over HTTP/3', async (t) => {
  const server = await h3Server(t)
  const { result, ms } = await timed(upload({ url: server.url, filePath: mib.path, maxBytesPerSecond: MiB }))
  const body = JSON.parse(result.data)
  t.is(body.file.sha256, mib.sha256)
  t.true(ms >= 800, `1 MiB at 1 MiB/s took ${ms.toFixed(0)} ms`)
})

test('an aborted body that aioquic takes as malformed closes its connection: the other upload on it fails with ECONNRESET', async (t) => {
  const server = await h3Server(t)
  // The first upload opens the connection, so that the two below share it.
  await upload({ url: server.url, filePath: small.path })
  const aborted = start({ url: server.url, filePath: large.path, maxBytesPerSecond: 8 * MiB })
  const other = start({ url: server.url, filePath: large.path, maxBytesPerSecond: 8 * MiB })
  aborted.onProgressUpdate((e) => {
    if (e.totalBytesSent > MiB) aborted.abort()
  })
  const [first, second] = await Promise.allSettled([aborted, other].map((task) => within(task, 60000, 'the upload')))
  t.is(first.reason?.code, 'ABORT_ERR')
  t.is(second.reason?.code, 'ECONNRESET')
})

test('an AbortSignal aborts an upload over HTTP/3', async (t) => {
  const server = await h3Server(t)
  const controller = new AbortController()
  const task = start({ url: server.url, filePath: large.path, maxBytesPerSecond: 8 * MiB, signal: controller.signal })
  task.onProgressUpdate((e) => {
    if (e.totalBytesSent > MiB) controller.abort(new Error('enough'))
  })
  const error = await t.throwsAsync(within(task, 60000, 'the upload'))
  t.is(error.code, 'ABORT_ERR')
  t.is(error.cause?.message, 'enough')
  const ended = await server.waitFor((e) => e.path === '/up')
  t.true(ended.bytes < ended.contentLength)
})
