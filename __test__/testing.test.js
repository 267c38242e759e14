'use strict'

// The test server of testing/ itself (testing/README.md), driven by Node's own clients: each
// behaviour does what it says, and the TLS certificate is valid for a client that trusts its CA.

const crypto = require('node:crypto')
const http2 = require('node:http2')
const https = require('node:https')
const test = require('ava')
const { listen, within } = require('../testing')
const { useServer } = require('./helpers/setup.js')
const { staysPending } = require('./helpers/wait.js')

const server = useServer(test)
const tlsServer = useServer(test, { tls: true })

/** A multipart form with field a=1 and a file part of `bytes`. */
function form(bytes = Buffer.from('hello')) {
  const data = new FormData()
  data.append('a', '1')
  data.append('file', new Blob([bytes], { type: 'text/plain' }), 'hello.txt')
  return data
}

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex')

test('default: records fields and file, answers 200 with the JSON summary', async (t) => {
  const endpoint = server.endpoint()
  const response = await fetch(endpoint.url, { method: 'POST', body: form() })
  t.is(response.status, 200)
  t.is(response.headers.get('content-type'), 'application/json')
  const rec = await endpoint.received()
  t.is(rec.id, endpoint.id)
  t.is(rec.method, 'POST')
  t.deepEqual(rec.fields, [['a', '1']])
  t.deepEqual(rec.file, {
    field: 'file',
    filename: 'hello.txt',
    mimeType: 'text/plain',
    bytes: 5,
    sha256: sha256('hello'),
  })
  t.true(rec.completed)
  t.false(rec.closedEarly)
  const summary = await response.json()
  t.deepEqual(summary, { id: endpoint.id, fields: rec.fields, file: rec.file, bytesReceived: rec.bytesReceived })
  t.deepEqual(endpoint.records(), [rec])
})

test('status, headers and body: as given, repeats kept, Content-Length added', async (t) => {
  const endpoint = server.endpoint({
    status: 418,
    headers: [
      ['X-A', '1'],
      ['X-A', '2'],
    ],
    body: 'teapot ✓',
  })
  const response = await fetch(endpoint.url, { method: 'POST', body: form() })
  t.is(response.status, 418)
  t.is(response.headers.get('x-a'), '1, 2')
  t.is(response.headers.get('content-length'), String(Buffer.byteLength('teapot ✓')))
  t.is(await response.text(), 'teapot ✓')
})

test('a path below the endpoint reaches it; other paths get the default with id null', async (t) => {
  const endpoint = server.endpoint({ status: 201 })
  t.is((await fetch(`${endpoint.url}/below?q=1`, { method: 'POST', body: form() })).status, 201)
  t.is((await endpoint.arrived).path, `/${endpoint.id}/below`)
  const other = await fetch(`${server.origin}/elsewhere`, { method: 'POST', body: form() })
  t.is(other.status, 200)
  t.is((await other.json()).id, null)
})

test('an unknown behaviour option or a header Node refuses throws a TypeError from endpoint()', (t) => {
  t.throws(() => server.endpoint({ stauts: 404 }), { instanceOf: TypeError, message: /stauts/ })
  t.throws(() => server.endpoint({ headers: { 'X-A': 'a\r\nX-B: 1' } }), { instanceOf: TypeError })
  t.throws(() => server.endpoint({ headers: [['X A', '1']] }), { instanceOf: TypeError })
})

test('delayMs: the answer comes that much later', async (t) => {
  const endpoint = server.endpoint({ delayMs: 150 })
  const start = performance.now()
  t.is((await fetch(endpoint.url, { method: 'POST', body: form() })).status, 200)
  t.true(performance.now() - start >= 145)
})

test('respond: false reads the whole body and never answers', async (t) => {
  const endpoint = server.endpoint({ respond: false })
  const response = fetch(endpoint.url, { method: 'POST', body: form(), signal: AbortSignal.timeout(300) })
  const error = await response.then(
    () => t.fail('answered'),
    (e) => e,
  )
  t.is(error.name, 'TimeoutError')
  const rec = await endpoint.received()
  t.true(rec.completed)
  t.deepEqual(rec.fields, [['a', '1']])
})

test('reset: true drops the connection on arrival', async (t) => {
  const endpoint = server.endpoint({ reset: true })
  await t.throwsAsync(fetch(endpoint.url, { method: 'POST', body: form() }))
  const rec = await within(endpoint.arrived, 5000, 'the request arriving')
  await within(rec.socketClosed, 5000, 'the connection closing')
  t.pass()
})

test('holdBody: status and headers first, the body on release()', async (t) => {
  const endpoint = server.endpoint({ holdBody: true, body: 'later' })
  const response = await within(fetch(endpoint.url, { method: 'POST', body: form() }), 5000, 'the headers')
  t.is(response.status, 200)
  const text = response.text()
  t.true(await staysPending(text, 100), 'the body is held back')
  ;(await endpoint.arrived).release()
  t.is(await within(text, 5000, 'the body after release()'), 'later')
})

test('readDelayMs: holds the client mid-body until unthrottle(); waitForBytes(n)', async (t) => {
  const bytes = crypto.randomBytes(8 * 1024 * 1024)
  const endpoint = server.endpoint({ readDelayMs: 20 })
  const response = fetch(endpoint.url, { method: 'POST', body: form(bytes) })
  const rec = await endpoint.arrived
  await within(rec.waitForBytes(32 * 1024), 5000, '32 KiB arriving')
  t.true(await staysPending(rec.waitForBytes(bytes.length), 100), 'the whole body arrived within 100 ms')
  t.true(rec.bytesReceived < bytes.length, `${rec.bytesReceived} bytes read`)
  t.false(rec.completed)
  rec.unthrottle()
  t.is((await within(response, 10000, 'the answer')).status, 200)
  t.is((await rec.finished).file.sha256, sha256(bytes))
})

/** POSTs a one-field multipart body to `url` with Node's https client; resolves with the status. */
function postHttps(url, options) {
  const body = '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n'
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=b' }, ...options },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

test('tls: the certificate is valid for 127.0.0.1 and localhost under server.ca, and untrusted without it', async (t) => {
  t.true(tlsServer.origin.startsWith('https://127.0.0.1:'))
  t.regex(tlsServer.ca, /^-----BEGIN CERTIFICATE-----/)
  const endpoint = tlsServer.endpoint()
  for (const host of ['127.0.0.1', 'localhost']) {
    const url = endpoint.url.replace('//127.0.0.1:', `//${host}:`)
    t.is(await postHttps(url, { ca: tlsServer.ca, agent: false }), 200, host)
    await t.throwsAsync(postHttps(url, { agent: false }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
  }
  t.is(endpoint.records().length, 2)
  t.deepEqual(endpoint.records()[1].fields, [['a', '1']])
})

test('listen: close() ends an HTTP/2 server at once, closing the session its client left open and idle', async (t) => {
  const server = http2.createServer((_req, res) => res.end('ok'))
  const { port, close } = await listen(server)
  t.true(server.listening)
  t.is(server.address().address, '127.0.0.1')
  const client = http2.connect(`http://127.0.0.1:${port}`)
  t.teardown(() => client.destroy())
  const clientClosed = new Promise((resolve) => client.on('close', resolve))
  const status = await new Promise((resolve, reject) => {
    const req = client.request({ ':path': '/' })
    req.on('response', (headers) => resolve(headers[':status']))
    req.on('error', reject)
    req.resume()
    req.end()
  })
  t.is(status, 200)
  // Node 20 and 22's own server.close() would wait here until the client closes its session.
  await within(close(), 5000, 'close() with an idle HTTP/2 session open')
  t.false(server.listening)
  await within(clientClosed, 5000, "the client's session closing")
})
