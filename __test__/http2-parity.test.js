'use strict'

// HTTP/2 parity with HTTP/1.1 (docs/API.md §2, "HTTP/2"): the same failures give the same codes
// over both protocols. One node:http2 server with `allowHTTP1` (CA generated at test time)
// behaves the same whichever protocol the upload negotiated; each case runs with
// `enableHttp2: false` (HTTP/1.1) and `true` (HTTP/2), and both must end alike.

const fs = require('node:fs')
const http2 = require('node:http2')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { listen, makeTempFile, within } = require('../testing')
const { useCertificates, useTempFile } = require('./helpers/setup.js')

const small = useTempFile(test, 64 * 1024, { name: 'parity.bin' })

const certs = useCertificates(test)

/** Ends the connection `req` came on, whichever protocol it speaks, without an answer. */
function dropConnection(req) {
  if (req.httpVersion === '2.0') req.stream.session.destroy()
  else req.socket.destroy()
}

/** Response headers of about `bytes` bytes: `x-h<i>` lines of 100-byte values. */
function bigHeaders(bytes) {
  const headers = {}
  for (let i = 0; i < bytes / 110; i++) headers[`x-h${i}`] = 'v'.repeat(100)
  return headers
}

/** The case of a response with about `bytes` of headers: a success. */
function headersOf(bytes) {
  return {
    handle(req, res) {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, bigHeaders(bytes))
        res.end('ok')
      })
    },
    expect: 'ok',
  }
}

/**
 * The cases: `handle(req, res, ctx)` is the server's behaviour, `file(t)` the file to upload
 * (the small one unless given), `options` more upload options, `expect` the code (`'ok'` for
 * a success).
 */
const cases = {
  'a file that shrinks mid-upload': {
    async file(t) {
      const changing = await makeTempFile(32 * 1024 * 1024, { name: 'shrinking.bin' })
      t.teardown(() => changing.remove())
      return changing
    },
    handle(req, _res, ctx) {
      // The head arrived: the client cannot have read more than a few MiB of 32.
      fs.truncateSync(ctx.file.path, 0)
      req.resume()
    },
    expect: 'ERR_FILE_CHANGED',
  },
  'about 15 KB of response headers': headersOf(15 * 1024),
  'about 60 KB of response headers': headersOf(60 * 1024),
  'the whole body read, then the connection dropped without an answer': {
    handle(req) {
      req.resume()
      req.on('end', () => dropConnection(req))
    },
    expect: 'ECONNRESET',
  },
  'the connection dropped halfway through the response body': {
    handle(req, res) {
      req.resume()
      req.on('end', () => {
        res.writeHead(200, { 'content-length': '100000' })
        res.write('x'.repeat(1000), () => setImmediate(() => dropConnection(req)))
      })
    },
    expect: 'ECONNRESET',
  },
  'a response larger than maxResponseBytes': {
    options: { maxResponseBytes: 1000 },
    handle(req, res) {
      req.resume()
      req.on('end', () => res.end('x'.repeat(5000)))
    },
    expect: 'ERR_RESPONSE_TOO_LARGE',
  },
}

for (const [title, spec] of Object.entries(cases)) {
  test(`the same outcome over HTTP/1.1 and HTTP/2: ${title} (${spec.expect})`, async (t) => {
    const outcomes = {}
    for (const enableHttp2 of [false, true]) {
      const file = spec.file ? await spec.file(t) : small
      const ctx = { file }
      // Node's own limit on a header block it sends is below 64 KiB; raised, so that the client's
      // limit is what the 60 KB case meets.
      const serverOptions = { key: certs.key, cert: certs.cert, allowHTTP1: true, maxSendHeaderBlockLength: 256 * 1024 }
      const server = http2.createSecureServer(serverOptions, (req, res) => {
        ctx.version = req.httpVersion
        spec.handle(req, res, ctx)
      })
      const { port, close } = await listen(server)
      t.teardown(close)
      const options = { url: `https://127.0.0.1:${port}/up`, filePath: file.path, name: 'file', ca: certs.ca }
      const outcome = await within(
        uploadFile({ ...options, ...spec.options, enableHttp2 }).then(
          () => 'ok',
          (error) => error.code,
        ),
        20000,
        'the upload',
      )
      outcomes[ctx.version] = outcome
    }
    t.deepEqual(outcomes, { 1.1: spec.expect, '2.0': spec.expect })
  })
}
