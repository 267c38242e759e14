'use strict'

// enableProfile (docs/API.md §2.4): the result's `profile` holds what the client observed of the
// request that produced it, under WeChat's RequestProfile names, and nothing it did not observe.
// Against the recording test server (HTTP/1.1) and a node:http2 server.

const http2 = require('node:http2')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { createCertificates, listen, startServer, within } = require('../testing')
const { useTempFile } = require('./helpers/setup.js')

const file = useTempFile(test, 256 * 1024, { name: 'profile.bin' })

// Sorted. WeChat's DNS and SSL spans are absent: resolution, TCP and TLS are one connect span.
const FIELDS = [
  'connectEnd',
  'connectStart',
  'fetchStart',
  'peerIP',
  'port',
  'protocol',
  'receivedBytedCount',
  'redirectEnd',
  'redirectStart',
  'requestEnd',
  'requestStart',
  'responseEnd',
  'responseStart',
  'sendBytesCount',
  'socketReused',
]

const upload = (options) =>
  within(uploadFile({ filePath: file.path, name: 'file', enableProfile: true, ...options }), 15000, 'the upload')

/** The timeline of a profile, in the order the events must happen. */
const timeline = (p) => [
  p.fetchStart,
  p.connectStart,
  p.connectEnd,
  p.requestStart,
  p.requestEnd,
  p.responseStart,
  p.responseEnd,
]

test('the profile of an HTTP/1.1 upload: WeChat names, times in order within the call, bytes and peer', async (t) => {
  const server = await startServer()
  t.teardown(() => server.close())
  const endpoint = server.endpoint({ delayMs: 300, body: 'ok, stored' })
  const before = Date.now()
  const res = await upload({ url: endpoint.url })
  const after = Date.now()
  const p = res.profile
  t.deepEqual(Object.keys(p).sort(), FIELDS)
  const times = timeline(p)
  t.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
    'fetch ≤ connect ≤ request ≤ response',
  )
  t.true(times[0] >= before - 1 && times.at(-1) <= after + 1, `${times} within [${before}, ${after}]`)
  t.true(p.responseStart - p.requestEnd >= 250, 'the server answered 300 ms after the body: the gap shows it')
  t.true(p.connectEnd >= p.connectStart)
  t.false(p.socketReused)
  t.is(p.peerIP, '127.0.0.1')
  t.is(p.port, server.port)
  t.is(p.protocol, 'http1.1')
  const rec = await endpoint.received()
  t.is(p.sendBytesCount, Number(rec.headers['content-length']))
  t.is(p.receivedBytedCount, Buffer.byteLength('ok, stored'))
  t.is(p.redirectStart, 0)
  t.is(p.redirectEnd, 0)

  const again = await upload({ url: server.endpoint().url })
  t.true(again.profile.socketReused, 'the second upload went out on the kept-alive connection')
  t.is(again.profile.connectStart, again.profile.fetchStart)
  t.is(again.profile.connectEnd, again.profile.fetchStart)
})

test('after redirects: redirectStart ≤ redirectEnd ≤ fetchStart; a 303 GET sends no body bytes', async (t) => {
  const server = await startServer()
  t.teardown(() => server.close())
  const target = server.endpoint()
  const hop = server.endpoint({ status: 307, headers: { location: target.url } })
  const first = server.endpoint({ status: 303, headers: { location: hop.url } })
  const res = await upload({ url: first.url })
  const p = res.profile
  t.true(p.redirectStart > 0)
  t.true(
    p.redirectStart <= p.redirectEnd && p.redirectEnd <= p.fetchStart,
    `${p.redirectStart} ${p.redirectEnd} ${p.fetchStart}`,
  )
  t.is(p.sendBytesCount, 0, 'after a 303 the final request is a GET without body')
  t.is(p.requestEnd, p.requestStart)
})

test('over HTTP/2 the protocol is h2', async (t) => {
  const certs = await createCertificates()
  const h2 = http2.createSecureServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    req.resume()
    req.on('end', () => res.end('done'))
  })
  const { port, close } = await listen(h2)
  t.teardown(close)
  const res = await upload({ url: `https://127.0.0.1:${port}/up`, ca: certs.ca, enableHttp2: true })
  t.is(res.profile.protocol, 'h2')
  t.is(res.profile.receivedBytedCount, 4)
})

test('without enableProfile the result has no profile; a non-boolean is a type error', async (t) => {
  const server = await startServer()
  t.teardown(() => server.close())
  const res = await upload({ url: server.endpoint().url, enableProfile: false })
  t.false('profile' in res)
  const error = await t.throwsAsync(upload({ url: server.endpoint().url, enableProfile: 'yes' }))
  t.is(error.code, 'ERR_INVALID_ARG_TYPE')
})
