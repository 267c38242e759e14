'use strict'

// HTTP/2 streams (docs/API.md §2, "HTTP/2"): a cold burst waits for the server's SETTINGS, so it
// keeps to the server's stream limit; a stream the server refused (RFC 9113 §8.7) or that a GOAWAY
// left unprocessed (§6.8) is sent again, a bounded number of times; a stream the server may have
// processed is never sent again. node:http2 servers with a CA generated at test time: they count
// the bodies they read whole (and hash them) and their sessions.

const crypto = require('node:crypto')
const http2 = require('node:http2')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { listen, sha256File, within } = require('../testing')
const { useCertificates, useTempFile } = require('./helpers/setup.js')

const file = useTempFile(test, 96 * 1024, { name: 'streams.bin' })
const larger = useTempFile(test, 1024 * 1024, { name: 'streams-1m.bin' })

const certs = useCertificates(test)

/** The SHA-256 of the file part of a multipart body with one part. */
function filePartDigest(body) {
  const start = body.indexOf('\r\n\r\n') + 4
  const end = body.lastIndexOf('\r\n--')
  return crypto.createHash('sha256').update(body.subarray(start, end)).digest('hex')
}

/**
 * A node:http2 server with `maxConcurrentStreams`, recording the digest of every body it read
 * whole and how many sessions it had.
 */
async function streamLimitedServer(t, maxConcurrentStreams) {
  const seen = { sessions: 0, digests: [] }
  const server = http2.createSecureServer({ key: certs.key, cert: certs.cert, settings: { maxConcurrentStreams } })
  server.on('session', () => seen.sessions++)
  server.on('request', (req, res) => {
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      seen.digests.push(filePartDigest(Buffer.concat(chunks)))
      res.end('stored')
    })
  })
  const { port, close } = await listen(server)
  t.teardown(close)
  return { url: `https://127.0.0.1:${port}/up`, seen }
}

// 96 KiB: the first upload's response ends its turn; 1 MiB: the window the server granted it.
for (const [limit, size] of [
  [1, '96 KiB'],
  [10, '1 MiB'],
]) {
  test(`50 uploads of ${size} started together against maxConcurrentStreams ${limit}: 50 of 50 succeed, byte-exact, over one connection`, async (t) => {
    const { url, seen } = await streamLimitedServer(t, limit)
    const { path } = size === '1 MiB' ? larger : file
    const expected = await sha256File(path)
    // `retry` with limit 0 only to read `attempts`: it never repeats an upload.
    const options = { url, filePath: path, name: 'file', ca: certs.ca, enableHttp2: true, retry: { limit: 0 } }
    const settled = await within(
      Promise.allSettled(Array.from({ length: 50 }, () => uploadFile(options))),
      60000,
      'the 50 uploads',
    )
    const failures = settled.filter((s) => s.status === 'rejected').map((s) => s.reason.errMsg)
    t.deepEqual(failures, [], 'none fails')
    const fulfilled = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value)
    for (const res of fulfilled) t.is(res.data, 'stored')
    t.deepEqual(
      fulfilled.filter((res) => res.attempts !== 1).length,
      0,
      'the burst keeps to the stream limit: no stream refused, none sent twice',
    )
    t.is(seen.digests.length, 50, 'exactly one whole body per upload')
    t.true(
      seen.digests.every((d) => d === expected),
      'every body is the file, byte for byte',
    )
    t.is(seen.sessions, 1, 'one connection')
  })
}

/**
 * A node:http2 server whose first session answers its first upload, then treats the second as
 * `misbehave(stream, session, body)` says once the body is read whole (or at once, with
 * `early`); every other stream is answered. Counts the whole bodies of each path.
 */
async function misbehavingServer(t, { early = false, misbehave }) {
  const seen = { sessions: 0, bodies: {} }
  const server = http2.createSecureServer({ key: certs.key, cert: certs.cert })
  server.on('session', (session) => {
    seen.sessions++
    session.ordinal = seen.sessions
  })
  server.on('stream', (stream, headers) => {
    const path = headers[':path']
    const second = stream.session.ordinal === 1 && stream.id === 3
    stream.on('error', () => {}) // a stream the test ends with its session
    if (second && early) {
      misbehave(stream, stream.session)
      return
    }
    const chunks = []
    stream.on('data', (chunk) => chunks.push(chunk))
    stream.on('end', () => {
      seen.bodies[path] = (seen.bodies[path] ?? 0) + 1
      if (second) misbehave(stream, stream.session)
      else stream.respond({ ':status': 200 }) || stream.end('stored')
    })
  })
  const { port, close } = await listen(server)
  t.teardown(close)
  return { origin: `https://127.0.0.1:${port}`, seen }
}

test('a server that reads the whole body, then sends GOAWAY naming our stream and closes: one copy stored, ECONNRESET, never sent again', async (t) => {
  const { origin, seen } = await misbehavingServer(t, {
    misbehave(stream, session) {
      session.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id)
      setImmediate(() => session.destroy()) // once the GOAWAY went out: no response, closed
    },
  })
  const options = { filePath: file.path, name: 'file', ca: certs.ca, enableHttp2: true }
  const warm = await within(uploadFile({ ...options, url: `${origin}/warm` }), 15000, 'the first upload')
  t.is(warm.data, 'stored')
  // Today's build: the second upload is sent again on a new connection (2 copies), then EPIPE.
  const error = await t.throwsAsync(within(uploadFile({ ...options, url: `${origin}/once` }), 15000, 'the upload'))
  t.is(error.code, 'ECONNRESET')
  t.is(seen.bodies['/once'], 1, 'exactly one copy stored')
  t.is(seen.sessions, 1, 'no new connection: nothing was sent again')
})

test('a GOAWAY whose last stream id is below ours: the upload was not processed, and is sent again on a new connection', async (t) => {
  const { origin, seen } = await misbehavingServer(t, {
    early: true,
    misbehave(stream, session) {
      session.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id - 2)
      session.close()
    },
  })
  const options = { filePath: file.path, name: 'file', ca: certs.ca, enableHttp2: true }
  const warm = await within(uploadFile({ ...options, url: `${origin}/warm` }), 15000, 'the first upload')
  t.is(warm.data, 'stored')
  const res = await within(uploadFile({ ...options, url: `${origin}/again` }), 15000, 'the upload')
  t.is(res.data, 'stored')
  t.is(seen.bodies['/again'], 1, 'stored once, from the second connection')
  t.is(seen.sessions, 2)
})

test('a stream the server refuses (REFUSED_STREAM) is sent again, and stored once', async (t) => {
  const { origin, seen } = await misbehavingServer(t, {
    early: true,
    misbehave(stream) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM)
    },
  })
  const options = { filePath: file.path, name: 'file', ca: certs.ca, enableHttp2: true }
  await within(uploadFile({ ...options, url: `${origin}/warm` }), 15000, 'the first upload')
  // Today's build: ERR_NETWORK "refused stream". `retry` with limit 0 only to read `attempts`.
  const again = { ...options, url: `${origin}/again`, retry: { limit: 0 } }
  const res = await within(uploadFile(again), 15000, 'the upload')
  t.is(res.data, 'stored')
  t.is(res.attempts, 2, 'the resend counts in attempts')
  t.is(seen.bodies['/again'], 1)
  t.is(seen.sessions, 1, 'on the same connection')
})

test('a server that refuses every stream: sent 9 times in all (8 more), then ECONNRESET', async (t) => {
  let refused = 0
  const server = http2.createSecureServer({ key: certs.key, cert: certs.cert })
  server.on('stream', (stream) => {
    refused++
    stream.on('error', () => {})
    stream.close(http2.constants.NGHTTP2_REFUSED_STREAM)
  })
  const { port, close } = await listen(server)
  t.teardown(close)
  const options = { url: `https://127.0.0.1:${port}/up`, filePath: file.path, name: 'file', ca: certs.ca }
  const error = await t.throwsAsync(within(uploadFile({ ...options, enableHttp2: true }), 15000, 'the upload'))
  t.is(error.code, 'ECONNRESET')
  t.is(refused, 9)
})
