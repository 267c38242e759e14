'use strict'

// Expect: 100-continue (docs/API.md §2.6): an HTTP/1.1 body of 1 MiB or more waits after the
// request head for the server's answer, at most 1 s, and an origin that let the wait run out is
// not waited on again.

const fs = require('node:fs')
const http = require('node:http')
const http2 = require('node:http2')
const https = require('node:https')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { listen, within } = require('../testing')
const { rawServer, readRequests } = require('./helpers/raw.js')
const { useCertificates, useTempFile } = require('./helpers/setup.js')

const large = useTempFile(test, 32 << 20, { name: 'continue-large.bin' })
const medium = useTempFile(test, 2 << 20, { name: 'continue-medium.bin' })
const small = useTempFile(test, (1 << 20) - 4096, { name: 'continue-small.bin' })
const certificates = useCertificates(test)

/** Uploads `file` to `url` with `options`, within 20 s. */
function upload(url, file, options = {}) {
  return within(uploadFile({ url, filePath: file.path, name: 'file', ...options }), 20000, 'the upload')
}

/**
 * A raw server that reads each request whole and answers 200, ignoring `Expect`; `requests`
 * gets `{ headers, headAt, doneAt }` for each.
 */
async function ignoringServer(t) {
  const requests = []
  const server = await rawServer(t, (socket) =>
    readRequests(socket, {
      onHead: (request) => {
        request.headAt = performance.now()
      },
      onRequest: (request) => {
        requests.push({ headers: request.headers, headAt: request.headAt, doneAt: performance.now() })
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
      },
    }),
  )
  return { url: server.url, requests }
}

test('a server that answers 401 at once gets under 64 KiB of a 32 MiB body, and the 401 is the result', async (t) => {
  let head = ''
  let bodyBytes = 0
  let closed
  const connectionClosed = new Promise((resolve) => {
    closed = resolve
  })
  const server = await rawServer(t, (socket) => {
    let headDone = false
    socket.on('data', (chunk) => {
      if (headDone) {
        bodyBytes += chunk.length
        return
      }
      head += chunk.toString('latin1')
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      headDone = true
      bodyBytes = head.length - end - 4
      head = head.slice(0, end)
      socket.write('HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope')
    })
    socket.on('close', closed)
  })
  const res = await upload(server.url, large)
  t.is(res.statusCode, 401)
  t.is(res.data, 'nope')
  await within(connectionClosed, 5000, 'the client closing the connection')
  t.regex(head, /\r\nexpect: 100-continue\r\n/i)
  t.true(bodyBytes < 64 * 1024, `the server received ${bodyBytes} body bytes`)
})

test('a server that answers 100 Continue gets the whole file byte-exact, without the 1 s wait', async (t) => {
  const seen = []
  const server = http.createServer()
  server.on('checkContinue', (req, res) => {
    const request = { expect: req.headers.expect, continueAt: performance.now(), firstByteAt: 0 }
    seen.push(request)
    res.writeContinue()
    const chunks = []
    req.on('data', (chunk) => {
      request.firstByteAt ||= performance.now()
      chunks.push(chunk)
    })
    req.on('end', () => {
      request.body = Buffer.concat(chunks)
      res.end('ok')
    })
  })
  server.on('request', (req, res) => {
    seen.push({ expect: req.headers.expect })
    req.resume().on('end', () => res.end('ok'))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const url = `http://127.0.0.1:${server.address().port}/up`
  t.is((await upload(url, large)).statusCode, 200)
  t.is((await upload(url, medium)).statusCode, 200)
  t.deepEqual(
    seen.map((s) => s.expect),
    ['100-continue', '100-continue'],
    'the origin answered 100: it is not remembered as silent',
  )
  const { body } = seen[0]
  const start = body.indexOf('\r\n\r\n') + 4
  t.true(body.subarray(start, start + large.size).equals(fs.readFileSync(large.path)), 'the file, byte-exact')
  t.regex(body.subarray(start + large.size).toString('latin1'), /^\r\n--[^\r\n]+--\r\n$/)
  for (const request of seen) {
    const gap = request.firstByteAt - request.continueAt
    t.true(gap < 700, `the body came ${Math.round(gap)} ms after the 100`)
  }
})

test('a server that ignores Expect gets the whole file after one wait; the second upload does not wait', async (t) => {
  const server = await ignoringServer(t)
  const started = performance.now()
  t.is((await upload(server.url, medium)).statusCode, 200)
  t.is((await upload(server.url, medium)).statusCode, 200)
  const [first, second] = server.requests
  t.is(first.headers.expect, '100-continue')
  t.is(second.headers.expect, undefined)
  // The wait starts after the call: the whole body cannot have arrived sooner than 1 s after it.
  const waited = first.doneAt - started
  const notWaited = second.doneAt - second.headAt
  t.true(waited >= 990, `the first body came ${Math.round(waited)} ms after the call`)
  t.true(notWaited < 700, `the second body came ${Math.round(notWaited)} ms after its head`)
})

test('expectContinue: false and bodies under 1 MiB send no Expect and do not wait', async (t) => {
  const server = await ignoringServer(t)
  t.is((await upload(server.url, medium, { expectContinue: false })).statusCode, 200)
  t.is((await upload(server.url, small)).statusCode, 200)
  t.deepEqual(
    server.requests.map((r) => r.headers.expect),
    [undefined, undefined],
  )
  for (const request of server.requests) {
    const gap = request.doneAt - request.headAt
    t.true(gap < 700, `the body came ${Math.round(gap)} ms after its head`)
  }
  // The origin was never waited on: a large body with the default still sends Expect.
  t.is((await upload(server.url, medium)).statusCode, 200)
  t.is(server.requests[2].headers.expect, '100-continue')
})

test('over TLS, on new connections: a 401 at once gets no body; a 100 sent 300 ms late is seen, the body follows it', async (t) => {
  const seen = []
  const server = https.createServer({ cert: certificates.cert, key: certificates.key })
  server.on('checkContinue', (req, res) => {
    const request = { url: req.url, bytes: 0, continueAt: 0, firstByteAt: 0 }
    seen.push(request)
    req.on('data', (chunk) => {
      request.firstByteAt ||= performance.now()
      request.bytes += chunk.length
    })
    if (req.url === '/refuse') {
      res.writeHead(401, { connection: 'close' }).end('nope')
      return
    }
    // Late enough that a new TLS 1.3 connection's session tickets arrive well before it.
    setTimeout(() => {
      request.continueAt = performance.now()
      res.writeContinue()
    }, 300)
    req.on('end', () => res.end('ok'))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const base = `https://127.0.0.1:${server.address().port}`
  const options = { ca: certificates.ca }
  const refused = await upload(`${base}/refuse`, large, options)
  t.is(refused.statusCode, 401)
  const accepted = await upload(`${base}/accept`, medium, options)
  t.is(accepted.statusCode, 200)
  t.true(seen[0].bytes < 64 * 1024, `the refusing server received ${seen[0].bytes} body bytes`)
  const [, late] = seen
  t.true(late.bytes > medium.size, 'the whole multipart body arrived')
  t.true(late.firstByteAt >= late.continueAt, 'no body byte before the 100')
  const gap = late.firstByteAt - late.continueAt
  t.true(gap < 500, `the body came ${Math.round(gap)} ms after the 100, not at the end of the 1 s wait`)
})

test('https: with enableHttp2: HTTP/2 is negotiated and the body goes without Expect and without a wait', async (t) => {
  const seen = []
  const server = http2.createSecureServer({ cert: certificates.cert, key: certificates.key, allowHTTP1: true })
  server.on('request', (req, res) => {
    const request = { version: req.httpVersion, expect: req.headers.expect, bytes: 0 }
    seen.push(request)
    req.on('data', (chunk) => {
      request.bytes += chunk.length
    })
    req.on('end', () => res.end('ok'))
  })
  const { port, close } = await listen(server)
  t.teardown(close)
  const url = `https://127.0.0.1:${port}/up`
  const started = performance.now()
  const res = await upload(url, medium, { ca: certificates.ca, enableHttp2: true })
  const took = performance.now() - started
  t.is(res.statusCode, 200)
  t.deepEqual(
    seen.map((r) => [r.version, r.expect]),
    [['2.0', undefined]],
  )
  t.true(seen[0].bytes > medium.size, 'the whole multipart body arrived')
  t.true(took < 900, `took ${Math.round(took)} ms: no 1 s wait`)
})

test('the wait is not a stall: an idleTimeout shorter than it does not fail the upload', async (t) => {
  const server = await ignoringServer(t)
  const started = performance.now()
  const res = await upload(server.url, medium, { idleTimeout: 300 })
  t.is(res.statusCode, 200)
  const [request] = server.requests
  t.is(request.headers.expect, '100-continue')
  t.true(request.doneAt - started >= 990, 'the body waited the whole second')
})

test("a caller's own Expect header is sent as given, with the body at once", async (t) => {
  const server = await ignoringServer(t)
  const res = await upload(server.url, medium, { header: { Expect: '100-continue' } })
  t.is(res.statusCode, 200)
  const [request] = server.requests
  t.is(request.headers.expect, '100-continue')
  const gap = request.doneAt - request.headAt
  t.true(gap < 700, `the body came ${Math.round(gap)} ms after its head`)
})

test('expectContinue must be a boolean', async (t) => {
  const task = uploadFile({ url: 'http://127.0.0.1:1/', filePath: small.path, name: 'file', expectContinue: 'no' })
  await t.throwsAsync(task, { code: 'ERR_INVALID_ARG_TYPE' })
})
