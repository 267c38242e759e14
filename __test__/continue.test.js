'use strict'

// Expect: 100-continue (docs/API.md §2.6): an HTTP/1.1 body of 1 MiB or more waits after the
// request head for the server's answer: 10 ms plus three times the connection's set-up, or twice
// the origin's latest answer, at most 1 s. An origin that let a whole body go without answering
// is not waited on again.

const fs = require('node:fs')
const http = require('node:http')
const http2 = require('node:http2')
const https = require('node:https')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { listen, within } = require('../testing')
const { rawServer, readRequests } = require('./helpers/raw.js')
const { useCertificates, useTempFile } = require('./helpers/setup.js')
const { startSocks } = require('./helpers/socks.js')

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

/**
 * Sends `100 Continue` on `res` `late` ms after the head (calling `onContinue` then), and the
 * final response once both that happened and the body of `req` was read: a server that takes
 * `late` to decide, and then reads what the client sent meanwhile. `headers` go with the 200.
 */
function answerAfter(req, res, late, onContinue, headers = {}) {
  let waiting = 2
  const step = () => {
    waiting -= 1
    if (waiting === 0) res.writeHead(200, headers).end('ok')
  }
  req.on('end', step)
  setTimeout(() => {
    onContinue()
    res.writeContinue()
    step()
  }, late)
}

/**
 * A `node:http` server that sends `100 Continue` `late` ms after each request head and answers
 * 200 once the body is read; `seen` gets `{ expect, continueAt, firstByteAt, bytes }` for each.
 */
async function lateContinueServer(t, late) {
  const seen = []
  const server = http.createServer()
  server.on('checkContinue', (req, res) => {
    const request = { expect: req.headers.expect, continueAt: 0, firstByteAt: 0, bytes: 0 }
    seen.push(request)
    req.on('data', (chunk) => {
      request.firstByteAt ||= performance.now()
      request.bytes += chunk.length
    })
    // It answers once it has decided (the 100) and read the body, whichever comes last.
    answerAfter(req, res, late, () => {
      request.continueAt = performance.now()
    })
  })
  server.on('request', (req, res) => {
    seen.push({ expect: req.headers.expect })
    req.resume().on('end', () => res.end('ok'))
  })
  const { port, close } = await listen(server)
  t.teardown(close)
  return { port, url: `http://127.0.0.1:${port}/up`, seen }
}

// The tests of a server that answers at once run first, alone in this file (serial): the wait on
// loopback is about 10 ms, and a busy event loop here (another test reading 32 MiB) could delay
// the server's answer past it.
test.serial(
  'a server that answers 401 at once gets under 64 KiB of a 32 MiB body, and the 401 is the result',
  async (t) => {
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
  },
)

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

test('a server that ignores Expect gets the whole file after one short wait; the second upload does not wait', async (t) => {
  const server = await ignoringServer(t)
  t.is((await upload(server.url, medium)).statusCode, 200)
  t.is((await upload(server.url, medium)).statusCode, 200)
  const [first, second] = server.requests
  t.is(first.headers.expect, '100-continue')
  t.is(second.headers.expect, undefined, 'it let a whole body go without answering: no Expect again')
  const waited = first.doneAt - first.headAt
  t.true(waited < 700, `the first body came ${Math.round(waited)} ms after its head: not curl's whole second`)
})

test('an origin whose 100 came after the wait is waited on for twice as long next time; that wait is not a stall', async (t) => {
  const server = await lateContinueServer(t, 300)
  t.is((await upload(server.url, medium)).statusCode, 200)
  t.is((await upload(server.url, medium, { idleTimeout: 200 })).statusCode, 200)
  const [first, second] = server.seen
  t.deepEqual([first.expect, second.expect], ['100-continue', '100-continue'], 'the origin answers: not silent')
  t.true(first.firstByteAt < first.continueAt, 'a new origin is not waited on for 300 ms')
  t.true(second.bytes > medium.size, 'the whole multipart body arrived')
  t.true(second.firstByteAt >= second.continueAt, 'no body byte before the 100: the wait learned its 300 ms')
})

test('the wait grows with the connection set-up: through a SOCKS proxy that takes 150 ms, a 100 sent 250 ms after the head comes first', async (t) => {
  const socks = await startSocks({ delay: 150 })
  t.teardown(socks.close)
  const server = await lateContinueServer(t, 250)
  t.is((await upload(server.url, medium, { proxy: socks.url() })).statusCode, 200)
  const [request] = server.seen
  t.is(request.expect, '100-continue')
  t.true(request.bytes > medium.size, 'the whole multipart body arrived')
  t.true(request.firstByteAt >= request.continueAt, 'no body byte before the 100')
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

test.serial(
  'over TLS, on new connections: a 401 at once gets no body; a 100 that came 300 ms late is waited for next time',
  async (t) => {
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
      answerAfter(
        req,
        res,
        300,
        () => {
          request.continueAt = performance.now()
        },
        { connection: 'close' },
      )
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
    t.is((await upload(`${base}/accept`, medium, options)).statusCode, 200)
    t.is((await upload(`${base}/accept`, medium, options)).statusCode, 200)
    t.true(seen[0].bytes < 64 * 1024, `the refusing server received ${seen[0].bytes} body bytes`)
    const [, early, late] = seen
    t.true(early.firstByteAt < early.continueAt, 'the 401 took a moment: the next wait was short')
    t.true(late.bytes > medium.size, 'the whole multipart body arrived')
    t.true(late.firstByteAt >= late.continueAt, 'no body byte before the 100')
    const gap = late.firstByteAt - late.continueAt
    t.true(gap < 500, `the body came ${Math.round(gap)} ms after the 100, not at the end of the wait`)
  },
)

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
