'use strict'

// `ca` with a self-signed server certificate (docs/API.md §6, README `ca`): the certificate the
// usual `openssl req -x509` command makes marks itself a CA (CA:TRUE); passed as `ca` it is
// trusted for exactly that server, as Node's https trusts it, with the host name and the validity
// dates still checked. Each case is run against a real node:https server on 127.0.0.1 with
// certificates made at test time, and compared with what Node's own https client does.

const crypto = require('node:crypto')
const fs = require('node:fs')
const https = require('node:https')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { createSelfSigned } = require('../testing/tls.js')
const { useTempFile } = require('./helpers/setup.js')
const { failureOf, resultOf, within } = require('./helpers/wait.js')

const file = useTempFile(test, 64 * 1024, { name: 'self-signed.bin' })

/**
 * A node:https server on 127.0.0.1 with `cert` and `key` that answers 200 `stored` and keeps each
 * request body; closed when the test ends.
 * @returns {Promise<{ port: number, bodies: Buffer[] }>}
 */
async function httpsServer(t, { cert, key }) {
  const bodies = []
  const server = https.createServer({ cert, key }, (req, res) => {
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks))
      res.end('stored')
    })
  })
  server.on('tlsClientError', () => {}) // the rejections are what some tests are about
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(resolve))
  })
  return { port: server.address().port, bodies }
}

/** What Node's https client says of a GET to `url` with `ca`: the status, or the error's code. */
function nodeHttps(url, ca) {
  const answer = new Promise((resolve) => {
    const req = https.get(url, { ca, family: 4 }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
    })
    req.on('error', (error) => resolve(error.code))
  })
  return within(answer, 10000, `Node's https GET ${url}`)
}

/** An upload of the temp file to `url` with `ca`. */
const upload = (url, ca) => uploadFile({ url, filePath: file.path, name: 'file', ca })

test('the usual self-signed certificate (CA:TRUE) as `ca` is trusted, by IP and by name, as Node trusts it', async (t) => {
  const pair = await createSelfSigned({ subjectAltName: 'DNS:localhost,IP:127.0.0.1' })
  t.true(new crypto.X509Certificate(pair.cert).ca, 'openssl req -x509 marks the certificate CA:TRUE')
  const server = await httpsServer(t, pair)
  const bytes = fs.readFileSync(file.path)
  for (const host of ['127.0.0.1', 'localhost']) {
    const url = `https://${host}:${server.port}/upload`
    const res = await resultOf(upload(url, pair.cert))
    t.is(res.statusCode, 200, host)
    t.is(res.data, 'stored', host)
    t.true(server.bodies.at(-1).includes(bytes), `${host}: the server received the whole file`)
  }
  t.is(server.bodies.length, 2)
  t.is(await nodeHttps(`https://127.0.0.1:${server.port}/`, pair.cert), 200, "Node's https accepts it too")
})

test('the host name is still checked: a self-signed certificate in `ca` for another name is rejected', async (t) => {
  const pair = await createSelfSigned({ subjectAltName: 'DNS:localhost' })
  const server = await httpsServer(t, pair)
  const error = await failureOf(upload(`https://127.0.0.1:${server.port}/upload`, pair.cert))
  t.is(error.code, 'ERR_TLS_CERT_INVALID')
  t.is(server.bodies.length, 0, 'nothing reached the server')
  t.is(await nodeHttps(`https://127.0.0.1:${server.port}/`, pair.cert), 'ERR_TLS_CERT_ALTNAME_INVALID')
  const byName = await resultOf(upload(`https://localhost:${server.port}/upload`, pair.cert))
  t.is(byName.statusCode, 200, 'the same certificate, by the name it has, is trusted')
})

test('a self-signed certificate that is not in `ca` is rejected, with another one or none there', async (t) => {
  const pair = await createSelfSigned({ subjectAltName: 'IP:127.0.0.1' })
  const other = await createSelfSigned({ subjectAltName: 'IP:127.0.0.1' })
  const server = await httpsServer(t, pair)
  const url = `https://127.0.0.1:${server.port}/upload`
  for (const ca of [other.cert, undefined]) {
    const error = await failureOf(upload(url, ca))
    t.is(error.code, 'ERR_TLS_CERT_INVALID', ca ? 'another self-signed certificate' : 'no ca')
  }
  t.is(server.bodies.length, 0, 'nothing reached the server')
  t.is(await nodeHttps(`https://127.0.0.1:${server.port}/`, other.cert), 'DEPTH_ZERO_SELF_SIGNED_CERT')
})

test('an expired self-signed certificate in `ca` is rejected, as Node rejects it', async (t) => {
  const pair = await createSelfSigned({ subjectAltName: 'IP:127.0.0.1', expired: true })
  t.true(new crypto.X509Certificate(pair.cert).ca)
  const server = await httpsServer(t, pair)
  const error = await failureOf(upload(`https://127.0.0.1:${server.port}/upload`, pair.cert))
  t.is(error.code, 'ERR_TLS_CERT_INVALID')
  t.regex(error.errMsg, /expired/i)
  t.is(server.bodies.length, 0, 'nothing reached the server')
  t.is(await nodeHttps(`https://127.0.0.1:${server.port}/`, pair.cert), 'CERT_HAS_EXPIRED')
})
