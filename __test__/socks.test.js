'use strict'

// SOCKS proxies (docs/API.md §2.2): `socks5://` and `socks5h://` in `proxy`, in ALL_PROXY /
// HTTPS_PROXY / HTTP_PROXY (and lower case) and in the CLI's `-x`, with RFC 1929 credentials.
// Against a real SOCKS5 server on 127.0.0.1 (helpers/socks.js) in front of the recording test
// servers: what the SOCKS server was asked to connect to, and the bytes the server received.

const { inspect } = require('node:util')
const net = require('node:net')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { closedPort } = require('../testing')
const { assertExit, cli } = require('./helpers/cli.js')
const { withEnv } = require('./helpers/proxy.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { startSocks, startSocks4 } = require('./helpers/socks.js')
const { outcomeOf } = require('./helpers/wait.js')

const file = useTempFile(test, 1024 * 1024, { name: 'socks.bin' })
const server = useServer(test)
const tls = useServer(test, { tls: true })

/** An upload of `file` with `options`, settled (bounded): `{ res }` or `{ error }`. */
const upload = (options) => outcomeOf(uploadFile({ filePath: file.path, name: 'file', ...options }))

async function socksFor(t, options) {
  const socks = await startSocks(options)
  t.teardown(() => socks.close())
  return socks
}

/** Everything an error shows (errMsg, message, cause, stack), as one text. */
const shown = (error) => inspect(error, { depth: 10, showHidden: true })

const portOf = (url) => Number(new URL(url).port)

test('`proxy: socks5://…` carries an http: upload through the SOCKS server, byte-exact; the profile names the proxy', async (t) => {
  const socks = await socksFor(t)
  const endpoint = server.endpoint()
  const { res, error } = await upload({ url: endpoint.url, proxy: socks.url(), enableProfile: true })
  t.falsy(error, error?.errMsg)
  t.is(res.statusCode, 200)
  t.deepEqual(socks.records, [{ host: '127.0.0.1', port: portOf(endpoint.url), username: undefined }])
  t.is(res.profile.port, socks.port, "the profile's peer is the proxy, as with an HTTP proxy")
  t.is((await endpoint.received()).file.sha256, file.sha256)
})

test('https: through SOCKS: TLS end to end with the server, verified against `ca`', async (t) => {
  const socks = await socksFor(t)
  const endpoint = tls.endpoint()
  const { res, error } = await upload({ url: endpoint.url, ca: tls.ca, proxy: socks.url('socks5h') })
  t.falsy(error, error?.errMsg)
  t.is(res.statusCode, 200)
  t.deepEqual(
    socks.records.map((r) => [r.host, r.port]),
    [['127.0.0.1', portOf(endpoint.url)]],
  )
  t.is((await endpoint.received()).file.sha256, file.sha256)
  const untrusted = await upload({ url: tls.endpoint().url, proxy: socks.url() })
  t.is(untrusted.error?.code, 'ERR_TLS_CERT_INVALID', 'the server certificate is still checked')
})

test('socks5h asks the SOCKS server for the host name; socks5 resolves it here and asks for an address', async (t) => {
  const socks = await socksFor(t)
  for (const scheme of ['socks5h', 'socks5']) {
    const endpoint = server.endpoint()
    const url = endpoint.url.replace('127.0.0.1', 'localhost')
    const { error } = await upload({ url, proxy: socks.url(scheme) })
    const asked = socks.records.at(-1)
    if (scheme === 'socks5h') {
      t.falsy(error, error?.errMsg)
      t.is(asked.host, 'localhost')
      t.is((await endpoint.received()).file.sha256, file.sha256)
    } else {
      // `localhost` may resolve to ::1 first, where the test server does not listen.
      t.not(net.isIP(asked.host), 0, `an address, not ${asked.host}`)
      if (asked.host === '127.0.0.1') t.falsy(error, error?.errMsg)
    }
    t.is(asked.port, portOf(endpoint.url))
  }
})

test('credentials in the URL are sent as RFC 1929 username and password (percent-decoded)', async (t) => {
  const socks = await socksFor(t, { auth: { username: 'alice', password: 'p@ss word' } })
  const endpoint = server.endpoint()
  const credentials = `alice:${encodeURIComponent('p@ss word')}`
  const { res, error } = await upload({ url: endpoint.url, proxy: socks.url('socks5', credentials) })
  t.falsy(error, error?.errMsg)
  t.is(res.statusCode, 200)
  t.deepEqual(socks.logins, ['alice'])
  t.is(socks.records.length, 1)
  t.is((await endpoint.received()).file.sha256, file.sha256)
})

test.serial('ALL_PROXY, HTTPS_PROXY and lower-case variables name SOCKS proxies too', async (t) => {
  const socks = await socksFor(t, { auth: { username: 'bob', password: 'secret' } })
  const proxy = socks.url('socks5h', 'bob:secret')
  const plain = server.endpoint()
  const fromAll = await withEnv({ ALL_PROXY: proxy }, () => upload({ url: plain.url }))
  t.falsy(fromAll.error, fromAll.error?.errMsg)
  t.is((await plain.received()).file.sha256, file.sha256)
  const secure = tls.endpoint()
  const fromHttps = await withEnv({ https_proxy: proxy }, () => upload({ url: secure.url, ca: tls.ca }))
  t.falsy(fromHttps.error, fromHttps.error?.errMsg)
  t.is((await secure.received()).file.sha256, file.sha256)
  // Another URL (socks5: rather than socks5h:), so that no pooled connection is reused.
  const lower = server.endpoint()
  const fromAllLower = await withEnv({ all_proxy: socks.url('socks5', 'bob:secret') }, () => upload({ url: lower.url }))
  t.falsy(fromAllLower.error, fromAllLower.error?.errMsg)
  t.is((await lower.received()).file.sha256, file.sha256)
  t.deepEqual(
    socks.records.map((r) => [r.host, r.port]),
    [plain, secure, lower].map((endpoint) => ['127.0.0.1', portOf(endpoint.url)]),
  )
})

test.serial('a wrong password is ERR_PROXY, and the password is in no message or warning', async (t) => {
  const socks = await socksFor(t, { auth: { username: 'alice', password: 'right' } })
  const warnings = []
  const onWarning = (warning) => warnings.push(shown(warning))
  process.on('warning', onWarning)
  t.teardown(() => process.off('warning', onWarning))
  const wrong = socks.url('socks5', 'alice:hunter2')
  for (const options of [
    { url: server.endpoint().url, proxy: wrong },
    { url: tls.endpoint().url, ca: tls.ca, proxy: wrong.replace('socks5:', 'socks5h:') },
  ]) {
    const { error } = await upload(options)
    t.is(error?.code, 'ERR_PROXY', error?.errMsg)
    t.notRegex(shown(error), /hunter2/)
  }
  const fromEnv = await withEnv({ ALL_PROXY: wrong }, () => upload({ url: server.endpoint().url }))
  t.is(fromEnv.error?.code, 'ERR_PROXY')
  t.notRegex(shown(fromEnv.error), /hunter2/)
  t.deepEqual(socks.logins, ['alice', 'alice', 'alice'])
  t.is(socks.records.length, 0, 'nothing was relayed')
  t.notRegex(warnings.join('\n'), /hunter2/)
})

test('a SOCKS proxy that refuses the connection it is asked for is ERR_PROXY', async (t) => {
  const socks = await socksFor(t, { deny: true })
  const endpoint = server.endpoint()
  const { error } = await upload({ url: endpoint.url, proxy: socks.url('socks5h') })
  t.is(error?.code, 'ERR_PROXY', error?.errMsg)
  t.deepEqual(
    socks.records.map((r) => [r.host, r.port]),
    [['127.0.0.1', portOf(endpoint.url)]],
  )
  t.is(endpoint.records().length, 0, 'nothing reached the server')
})

test('a SOCKS proxy that cannot be reached is ECONNREFUSED, without its password', async (t) => {
  const nobody = `socks5h://alice:hunter2@127.0.0.1:${await closedPort()}`
  for (const options of [{ url: server.endpoint().url }, { url: tls.endpoint().url, ca: tls.ca }]) {
    const { error } = await upload({ ...options, proxy: nobody })
    t.is(error?.code, 'ECONNREFUSED', error?.errMsg)
    t.regex(error.errMsg, /SOCKS proxy 127\.0\.0\.1:\d+ cannot be reached/)
    t.notRegex(shown(error), /hunter2/)
  }
})

test('socks4: and socks4a: work too (resolved here, resolved by the proxy)', async (t) => {
  const socks = await startSocks4()
  t.teardown(() => socks.close())
  for (const scheme of ['socks4', 'socks4a']) {
    const endpoint = server.endpoint()
    const url = endpoint.url.replace('127.0.0.1', scheme === 'socks4a' ? 'localhost' : '127.0.0.1')
    const { error } = await upload({ url, proxy: `${scheme}://127.0.0.1:${socks.port}` })
    t.falsy(error, error?.errMsg)
    t.deepEqual(socks.records.at(-1), {
      host: scheme === 'socks4a' ? 'localhost' : '127.0.0.1',
      port: portOf(endpoint.url),
    })
    t.is((await endpoint.received()).file.sha256, file.sha256)
  }
})

test('an unknown proxy scheme is a parameter error without the password', async (t) => {
  const { error } = await upload({ url: server.endpoint().url, proxy: 'socks6://u:hunter2@127.0.0.1:1' })
  t.is(error?.code, 'ERR_INVALID_ARG_VALUE')
  t.regex(error.errMsg, /socks5h:/)
  t.notRegex(shown(error), /hunter2/)
})

test('the CLI: -x socks5h://user:pass@… sends the upload through the SOCKS server', async (t) => {
  const socks = await socksFor(t, { auth: { username: 'carol', password: 'pw' } })
  const endpoint = server.endpoint()
  assertExit(t, await cli(['-q', '-x', socks.url('socks5h', 'carol:pw'), endpoint.url, file.path]), 0)
  t.deepEqual(
    socks.records.map((r) => [r.host, r.port, r.username]),
    [['127.0.0.1', portOf(endpoint.url), 'carol']],
  )
  t.is((await endpoint.received()).file.sha256, file.sha256)
  const refused = await cli(['-q', '-x', socks.url('socks5h', 'carol:wrong'), server.endpoint().url, file.path])
  t.not(refused.code, 0)
  t.notRegex(refused.stderr, /wrong/)
})
