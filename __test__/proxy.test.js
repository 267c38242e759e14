'use strict'

// Proxies (docs/API.md §2, `proxy`): HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY (and lower
// case) from the environment, read when each upload starts; the `proxy` option overrides them
// (`false` for none). Against a real proxy on 127.0.0.1 (helpers/proxy.js: CONNECT tunnels and
// forwarded requests, Basic credentials) in front of the recording test servers.

const path = require('node:path')
const { once } = require('node:events')
const { Worker } = require('node:worker_threads')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { closedPort, createCertificates, within } = require('../testing')
const { startProxy, withEnv } = require('./helpers/proxy.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { outcomeOf } = require('./helpers/wait.js')

const file = useTempFile(test, 1024 * 1024, { name: 'proxied.bin' })
const server = useServer(test)
const tls = useServer(test, { tls: true })

/** An upload of `file` with `options`, settled (bounded): `{ res }` or `{ error }`. */
const upload = (options) => outcomeOf(uploadFile({ filePath: file.path, name: 'file', ...options }))

async function proxyFor(t, options) {
  const proxy = await startProxy(options)
  t.teardown(() => proxy.close())
  return proxy
}

test.serial('HTTPS_PROXY carries https: uploads through a CONNECT tunnel, byte-exact', async (t) => {
  const proxy = await proxyFor(t)
  const endpoint = tls.endpoint()
  const { res, error } = await withEnv({ HTTPS_PROXY: proxy.url }, () => upload({ url: endpoint.url, ca: tls.ca }))
  t.falsy(error, error?.errMsg)
  t.is(res.statusCode, 200)
  t.deepEqual(
    proxy.records.map((r) => [r.method, r.target]),
    [['CONNECT', `127.0.0.1:${tls.port}`]],
  )
  t.is((await endpoint.received()).file.sha256, file.sha256)
})

test.serial('HTTP_PROXY forwards http: uploads; HTTPS_PROXY alone leaves them direct', async (t) => {
  const proxy = await proxyFor(t)
  const direct = server.endpoint()
  await withEnv({ HTTPS_PROXY: proxy.url }, () => upload({ url: direct.url }))
  t.is(proxy.records.length, 0, 'HTTPS_PROXY is for https: URLs only')
  t.is((await direct.received()).file.sha256, file.sha256)

  const forwarded = server.endpoint()
  const { res, error } = await withEnv({ HTTP_PROXY: proxy.url }, () => upload({ url: forwarded.url }))
  t.falsy(error, error?.errMsg)
  t.is(res.statusCode, 200)
  t.deepEqual(
    proxy.records.map((r) => [r.method, r.target]),
    [['POST', forwarded.url]],
  )
  t.is((await forwarded.received()).file.sha256, file.sha256)
})

test.serial('lower-case variables and ALL_PROXY work too', async (t) => {
  const proxy = await proxyFor(t)
  await withEnv({ https_proxy: proxy.url }, () => upload({ url: tls.endpoint().url, ca: tls.ca }))
  await withEnv({ http_proxy: proxy.url }, () => upload({ url: server.endpoint().url }))
  await withEnv({ ALL_PROXY: proxy.url }, () => upload({ url: server.endpoint().url }))
  t.deepEqual(
    proxy.records.map((r) => r.method),
    ['CONNECT', 'POST', 'POST'],
  )
})

test.serial('NO_PROXY sends the hosts it names directly', async (t) => {
  const proxy = await proxyFor(t)
  for (const exempt of ['127.0.0.1', '127.0.0.0/8', '*']) {
    const endpoint = server.endpoint()
    const { error } = await withEnv({ HTTP_PROXY: proxy.url, NO_PROXY: exempt }, () => upload({ url: endpoint.url }))
    t.falsy(error, error?.errMsg)
    t.is((await endpoint.received()).file.sha256, file.sha256)
  }
  await withEnv({ HTTP_PROXY: proxy.url, no_proxy: 'example.com' }, () => upload({ url: server.endpoint().url }))
  t.is(proxy.records.length, 1, 'only the upload to a host NO_PROXY does not name went through the proxy')
})

test.serial('the environment is read when each upload starts', async (t) => {
  const proxy = await proxyFor(t)
  await withEnv({}, () => upload({ url: server.endpoint().url }))
  await withEnv({ HTTP_PROXY: proxy.url }, () => upload({ url: server.endpoint().url }))
  await withEnv({}, () => upload({ url: server.endpoint().url }))
  t.is(proxy.records.length, 1)
})

test.serial('`proxy` overrides the environment; `proxy: false` ignores it', async (t) => {
  const fromEnv = await proxyFor(t)
  const chosen = await proxyFor(t)
  await withEnv({ HTTP_PROXY: fromEnv.url, HTTPS_PROXY: fromEnv.url }, async () => {
    await upload({ url: server.endpoint().url, proxy: chosen.url })
    await upload({ url: tls.endpoint().url, ca: tls.ca, proxy: chosen.url })
    const direct = server.endpoint()
    const { error } = await upload({ url: direct.url, proxy: false })
    t.falsy(error, error?.errMsg)
    t.is((await direct.received()).file.sha256, file.sha256)
  })
  t.is(fromEnv.records.length, 0)
  t.deepEqual(
    chosen.records.map((r) => r.method),
    ['POST', 'CONNECT'],
  )
})

test.serial('an unusable proxy variable is a parameter error that names the variable, not its value', async (t) => {
  const { error } = await withEnv({ HTTP_PROXY: 'ftp://user:hunter2@127.0.0.1:1' }, () =>
    upload({ url: server.endpoint().url }),
  )
  t.is(error.code, 'ERR_INVALID_ARG_VALUE')
  t.regex(error.errMsg, /HTTP_PROXY/)
  t.notRegex(error.errMsg, /hunter2/)
})

test("a worker thread's own process.env applies to the uploads it starts", async (t) => {
  // A worker's process.env is its own copy: the process environment never sees what it sets.
  const proxy = await proxyFor(t)
  const endpoint = server.endpoint()
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads')
    process.env.HTTP_PROXY = workerData.proxy
    const { uploadFile } = require(workerData.index)
    uploadFile({ url: workerData.url, filePath: workerData.file, name: 'file' }).then(
      (res) => parentPort.postMessage(res.statusCode),
      (error) => parentPort.postMessage(error.code),
    )`,
    {
      eval: true,
      workerData: {
        proxy: proxy.url,
        index: path.join(__dirname, '..', 'index.js'),
        url: endpoint.url,
        file: file.path,
      },
    },
  )
  t.teardown(() => worker.terminate())
  const [outcome] = await within(once(worker, 'message'), 15000, "the worker's upload")
  t.is(outcome, 200)
  t.deepEqual(
    proxy.records.map((r) => [r.method, r.target]),
    [['POST', endpoint.url]],
  )
  t.is(process.env.HTTP_PROXY, undefined)
})

test('credentials in the proxy URL are sent as Basic Proxy-Authorization, for tunnels and forwarding', async (t) => {
  const proxy = await proxyFor(t, { auth: 'alice:p@ss word' })
  const url = `http://alice:${encodeURIComponent('p@ss word')}@127.0.0.1:${proxy.port}`
  const viaTunnel = tls.endpoint()
  const tunnelled = await upload({ url: viaTunnel.url, ca: tls.ca, proxy: url })
  t.falsy(tunnelled.error, tunnelled.error?.errMsg)
  t.is((await viaTunnel.received()).file.sha256, file.sha256)
  const forwarded = await upload({ url: server.endpoint().url, proxy: url })
  t.is(forwarded.res?.statusCode, 200)
  const expected = `Basic ${Buffer.from('alice:p@ss word').toString('base64')}`
  t.deepEqual(
    proxy.records.map((r) => r.authorization),
    [expected, expected],
  )
})

test('a proxy that refuses the tunnel fails with ERR_PROXY; no password in any errMsg', async (t) => {
  const proxy = await proxyFor(t, { auth: 'alice:right' })
  const wrong = `http://alice:hunter2@127.0.0.1:${proxy.port}`
  const tunnel = await upload({ url: tls.endpoint().url, ca: tls.ca, proxy: wrong })
  t.is(tunnel.error?.code, 'ERR_PROXY')
  t.notRegex(tunnel.error.errMsg, /hunter2|alice/)
  // Forwarding: the proxy's 407 is the response, as any HTTP status is.
  const forwarded = await upload({ url: server.endpoint().url, proxy: wrong })
  t.is(forwarded.res?.statusCode, 407)

  const nobody = `http://alice:hunter2@127.0.0.1:${await closedPort()}`
  for (const url of [tls.endpoint().url, server.endpoint().url]) {
    const { error } = await upload({ url, ca: tls.ca, proxy: nobody })
    t.is(error?.code, 'ECONNREFUSED')
    t.notRegex(error.errMsg, /hunter2|alice/)
  }
})

test('an https: proxy: TLS to the proxy itself, verified against the roots of the upload (`ca` included)', async (t) => {
  const certs = await createCertificates()
  const proxy = await proxyFor(t, { tls: { key: certs.key, cert: certs.cert } })
  const endpoint = server.endpoint()
  const { res, error } = await upload({ url: endpoint.url, proxy: proxy.url, ca: certs.ca })
  t.falsy(error, error?.errMsg)
  t.is(res.statusCode, 200)
  t.is((await endpoint.received()).file.sha256, file.sha256)
  t.deepEqual(
    proxy.records.map((r) => r.method),
    ['POST'],
  )
  const untrusted = await upload({ url: server.endpoint().url, proxy: proxy.url })
  t.is(untrusted.error?.code, 'ERR_TLS_CERT_INVALID', 'the proxy certificate is checked too')
})

test('`proxy` must be a proxy URL or false', async (t) => {
  for (const [proxy, code] of [
    [true, 'ERR_INVALID_ARG_TYPE'],
    [42, 'ERR_INVALID_ARG_TYPE'],
    ['ftp://user:hunter2@127.0.0.1:21', 'ERR_INVALID_ARG_VALUE'],
    ['http://user:hunter2@[::1', 'ERR_INVALID_ARG_VALUE'],
  ]) {
    const { error } = await upload({ url: server.endpoint().url, proxy })
    t.is(error?.code, code, String(proxy))
    t.notRegex(error.errMsg, /hunter2/)
  }
})
