'use strict'

// A response body whose framing is broken (docs/API.md §9, README's error table): a chunked body
// that breaks HTTP/1.1's rules is a protocol error, ERR_NETWORK, although the connection is still
// open; a connection reset or closed under the body stays ECONNRESET. The CLI exits with 56 for
// both. Over HTTP/2, a body that disagrees with its content-length is a protocol error too.
// Servers: raw `net` servers that read the upload, then answer as each test says; node:http2 with
// a CA generated at test time.

const http2 = require('node:http2')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { createCertificates, listen, within } = require('../testing')
const { assertExit, cli } = require('./helpers/cli.js')
const { rawServer, readRequests } = require('./helpers/raw.js')
const { useTempFile } = require('./helpers/setup.js')

const file = useTempFile(test, 64 * 1024, { name: 'framing.bin' })

/**
 * A raw server that reads each upload whole, then writes `head` and `body` and calls
 * `then(socket)`; by default nothing: the server neither closes nor resets the connection. Its URL.
 */
async function answering(t, head, body, then = () => {}) {
  const server = await rawServer(t, (socket) => {
    readRequests(socket, {
      onRequest: () => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${head}\r\n`)
        socket.write(body, () => then(socket))
      },
    })
  })
  return server.url
}

const upload = (url) => within(uploadFile({ url, filePath: file.path, name: 'file' }), 15000, 'settlement')

const MALFORMED = [
  ['a chunk without the CRLF after its data', '5\r\nhelloXX\r\n'],
  ['a chunk size that is not hexadecimal', '5\r\nhello\r\nzz\r\n'],
  ['a chunk size line with a bare LF', '5\r\nhello\r\n5\nworld\r\n'],
  ['a chunk size over 64 bits', '5\r\nhello\r\n1ffffffffffffffff\r\n'],
]

for (const [what, body] of MALFORMED) {
  test(`${what}, the connection left open: ERR_NETWORK`, async (t) => {
    const url = await answering(t, 'Transfer-Encoding: chunked\r\n', body)
    const error = await t.throwsAsync(upload(url))
    t.is(error.code, 'ERR_NETWORK', error.errMsg)
  })
}

test('a connection reset under a chunked or a sized body stays ECONNRESET', async (t) => {
  const reset = (socket) => socket.resetAndDestroy()
  for (const [head, body] of [
    ['Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n10\r\nabc'],
    ['Content-Length: 100\r\n', 'only ten b'],
  ]) {
    const error = await t.throwsAsync(upload(await answering(t, head, body, reset)))
    t.is(error.code, 'ECONNRESET', `${head}: ${error.errMsg}`)
  }
  const closed = await answering(t, 'Content-Length: 100\r\n', 'only ten b', (socket) => socket.end())
  t.is((await t.throwsAsync(upload(closed))).code, 'ECONNRESET', 'closed before the body ended')
})

test('over HTTP/2, a body longer or shorter than its content-length: ERR_NETWORK', async (t) => {
  const certs = await createCertificates()
  const server = http2.createSecureServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-length': req.url === '/longer' ? '5' : '100' })
      res.end('0123456789')
    })
  })
  const { port, close } = await listen(server)
  t.teardown(close)
  for (const path of ['/longer', '/shorter']) {
    const task = uploadFile({
      url: `https://127.0.0.1:${port}${path}`,
      filePath: file.path,
      name: 'file',
      ca: certs.ca,
      enableHttp2: true,
    })
    const error = await t.throwsAsync(within(task, 15000, 'settlement'))
    t.is(error.code, 'ERR_NETWORK', `${path}: ${error.errMsg}`)
  }
})

test('the CLI exits with 56 for a malformed body and for a reset under one', async (t) => {
  const malformed = await answering(t, 'Transfer-Encoding: chunked\r\n', MALFORMED[0][1])
  const reset = await answering(t, 'Content-Length: 100\r\n', 'only ten b', (socket) => socket.resetAndDestroy())
  for (const url of [malformed, reset]) {
    assertExit(t, await cli(['-sS', '-F', `file=@${file.path}`, url]), 56)
  }
})
