'use strict'

// ERR_TLS_HANDSHAKE (README "Errors", docs/API.md §9): a TLS handshake that fails for another
// reason than the certificate, each from a real server on 127.0.0.1: a raw TCP server that
// answers the ClientHello with an alert, plain HTTP or other bytes, and node:tls servers that
// share no protocol version or no cipher suite with the client. A rejected certificate stays
// ERR_TLS_CERT_INVALID (errors.test.js, self-signed.test.js).

const tls = require('node:tls')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { createCertificates } = require('../testing')
const { rawServer } = require('./helpers/raw.js')
const { useTempFile } = require('./helpers/setup.js')
const { failureOf } = require('./helpers/wait.js')

const file = useTempFile(test, 16 * 1024, { name: 'handshake.bin' })

/** An upload of the temp file to `https://127.0.0.1:<port>/upload`. */
const uploadTo = (port) => uploadFile({ url: `https://127.0.0.1:${port}/upload`, filePath: file.path, name: 'file' })

const ANSWERS = {
  'a fatal handshake_failure alert': Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]),
  'plain HTTP': Buffer.from('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'),
  'an SSH banner': Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'),
}

for (const [what, answer] of Object.entries(ANSWERS)) {
  test(`a server that answers the ClientHello with ${what}: ERR_TLS_HANDSHAKE`, async (t) => {
    let hello = null
    const raw = await rawServer(t, (socket) =>
      socket.once('data', (chunk) => {
        hello = chunk
        socket.end(answer)
      }),
    )
    const error = await failureOf(uploadTo(raw.port))
    t.is(hello?.[0], 0x16, 'the client opened with a TLS handshake record')
    t.is(error.code, 'ERR_TLS_HANDSHAKE', error.errMsg)
  })
}

/** A node:tls server with the test certificates and `options`; counts the sessions it set up. */
async function tlsServer(t, options) {
  const { cert, key } = await createCertificates()
  let secured = 0
  const server = tls.createServer({ cert, key, ...options }, (socket) => {
    secured++
    socket.destroy()
  })
  server.on('tlsClientError', () => {})
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return {
    port: server.address().port,
    get secured() {
      return secured
    },
  }
}

test('a server with no protocol version in common (TLS 1.0 and 1.1 only): ERR_TLS_HANDSHAKE', async (t) => {
  const server = await tlsServer(t, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' })
  const error = await failureOf(uploadTo(server.port))
  t.is(error.code, 'ERR_TLS_HANDSHAKE', error.errMsg)
  t.is(server.secured, 0)
})

test('a server with no cipher suite in common (TLS 1.2, RSA key exchange only): ERR_TLS_HANDSHAKE', async (t) => {
  const server = await tlsServer(t, { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' })
  const error = await failureOf(uploadTo(server.port))
  t.is(error.code, 'ERR_TLS_HANDSHAKE', error.errMsg)
  t.is(server.secured, 0)
})
