'use strict'

// A user name and password in the upload's URL (`http://user:password@host/`, docs/API.md §6):
// sent as `Authorization: Basic`, percent-decoded (UTF-8 as the URL spells it), over HTTP/1.1,
// HTTP/2 and HTTP/3, unless the caller's `header` has an `Authorization`; on a redirect the rule
// of the caller's own `Authorization` (kept to the same origin, dropped when the origin changes);
// never in a request line, a message, a result or the CLI's output. Servers: the recording test
// servers, node:http2 and the HTTP/3 test server, with a CA generated at test time; a forwarding
// proxy; the CLI as a child process.

const http2 = require('node:http2')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { listen, within } = require('../testing')
const { assertExit, cli } = require('./helpers/cli.js')
const { startH3Server } = require('./helpers/h3.js')
const { startProxy } = require('./helpers/proxy.js')
const { useCertificates, useServer, useTempFile } = require('./helpers/setup.js')

const server = useServer(test)
const other = useServer(test) // another port: another origin
const certs = useCertificates(test)
const file = useTempFile(test, 64 * 1024, { name: 'credentials.bin' })

/** The password of every test: it must never show. */
const SECRET = 'S3cr3t-pässwört'

const upload = (options) => within(uploadFile({ filePath: file.path, name: 'file', ...options }), 30000, 'settlement')

/** `url` with `user` and `password` in it, percent-encoded (`encodeURIComponent`). */
function withCredentials(url, user, password) {
  const { protocol, host, pathname, search } = new URL(url)
  const userinfo = encodeURIComponent(user) + (password === undefined ? '' : `:${encodeURIComponent(password)}`)
  return `${protocol}//${userinfo}@${host}${pathname}${search}`
}

/** The `Authorization` value of `user:password`, sent as UTF-8 bytes. */
const basic = (pair) => `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`

test("the URL's user and password arrive as Basic auth, percent-decoded; the request line has neither", async (t) => {
  const endpoint = server.endpoint()
  const password = 'p@ss:w/rd %?#ü€'
  const url = withCredentials(endpoint.url, 'jürgen', password)
  t.regex(url, /:p%40ss%3Aw%2Frd%20%25%3F%23%C3%BC%E2%82%AC@/, 'the URL holds them percent-encoded')
  const res = await upload({ url, header: { 'X-Other': 'kept' } })
  t.is(res.statusCode, 200)
  const got = await endpoint.received()
  t.is(got.headers.authorization, basic(`jürgen:${password}`))
  t.is(got.headers['x-other'], 'kept')
  t.is(got.url, new URL(endpoint.url).pathname, 'no userinfo in the request target')
  t.is(got.file.sha256, file.sha256)
})

test('a user name without a password sends `user:`, as curl does', async (t) => {
  const endpoint = server.endpoint()
  await upload({ url: withCredentials(endpoint.url, 'alice') })
  t.is((await endpoint.received()).headers.authorization, basic('alice:'))
})

test("the caller's Authorization wins over the URL's credentials, and is the only one sent", async (t) => {
  const endpoint = server.endpoint()
  await upload({ url: withCredentials(endpoint.url, 'user', SECRET), header: { authorization: 'Bearer mine' } })
  const got = await endpoint.received()
  t.is(got.headers.authorization, 'Bearer mine')
  t.is(got.rawHeaders.filter((h) => h.toLowerCase() === 'authorization').length, 1)
})

test('a redirect to another origin does not carry them; a 307 to the same origin does', async (t) => {
  const elsewhere = other.endpoint()
  const crossing = server.endpoint({ status: 307, headers: { location: elsewhere.url } })
  await upload({ url: withCredentials(crossing.url, 'user', SECRET) })
  t.is((await crossing.received()).headers.authorization, basic(`user:${SECRET}`))
  const crossed = await elsewhere.received()
  t.is(crossed.headers.authorization, undefined)
  t.is(crossed.file.sha256, file.sha256, 'the upload itself went on')

  const here = server.endpoint()
  const staying = server.endpoint({ status: 307, headers: { location: new URL(here.url).pathname } })
  await upload({ url: withCredentials(staying.url, 'user', SECRET) })
  const same = await here.received()
  t.is(same.headers.authorization, basic(`user:${SECRET}`))
  t.is(same.url, new URL(here.url).pathname)
  t.is(same.file.sha256, file.sha256)
})

test("a Location's own user and password are read by the same rule; never in a request line", async (t) => {
  const proxy = await startProxy()
  t.teardown(() => proxy.close())
  const target = other.endpoint()
  const first = server.endpoint({ status: 307, headers: { location: withCredentials(target.url, 'lu', SECRET) } })
  await upload({ url: first.url, proxy: proxy.url })
  t.deepEqual(
    proxy.records.map((r) => r.target),
    [first.url, target.url],
  )
  t.is((await target.received()).headers.authorization, basic(`lu:${SECRET}`))
})

test('a forwarding proxy gets the Authorization header but no credentials in the request line', async (t) => {
  const proxy = await startProxy()
  t.teardown(() => proxy.close())
  const endpoint = server.endpoint()
  await upload({ url: withCredentials(endpoint.url, 'user', SECRET), proxy: proxy.url })
  t.deepEqual(
    proxy.records.map((r) => [r.method, r.target]),
    [['POST', endpoint.url]],
  )
  t.is((await endpoint.received()).headers.authorization, basic(`user:${SECRET}`))
})

test('no message or result shows the password', async (t) => {
  const refused = await t.throwsAsync(upload({ url: `http://user:${encodeURIComponent(SECRET)}@127.0.0.1:1/up?sig=1` }))
  t.is(refused.code, 'ECONNREFUSED')
  const res = await upload({ url: withCredentials(server.endpoint().url, 'user', SECRET), enableProfile: true })
  for (const shown of [refused.errMsg, refused.stack, JSON.stringify(refused), JSON.stringify(res)]) {
    t.false(shown.includes(SECRET) || shown.includes(encodeURIComponent(SECRET)), shown)
    t.false(shown.includes(basic(`user:${SECRET}`).slice(6)), shown)
  }
  t.true(refused.errMsg.includes('http://127.0.0.1:1/up'), refused.errMsg)
})

test('over HTTP/2 the server receives the Basic header', async (t) => {
  const h2 = http2.createSecureServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    req.resume()
    req.on('end', () => res.end(JSON.stringify({ version: req.httpVersion, authorization: req.headers.authorization })))
  })
  const { port, close } = await listen(h2)
  t.teardown(close)
  const url = `https://user:${encodeURIComponent(SECRET)}@127.0.0.1:${port}/up`
  const res = await upload({ url, ca: certs.ca, enableHttp2: true })
  t.deepEqual(JSON.parse(res.data), { version: '2.0', authorization: basic(`user:${SECRET}`) })
})

test('over HTTP/3 the server receives the Basic header', async (t) => {
  const h3 = await startH3Server(certs)
  t.teardown(h3.close)
  const url = withCredentials(h3.url, 'user', SECRET)
  const res = await upload({ url, ca: certs.ca, enableQuic: true })
  const body = JSON.parse(res.data)
  t.is(body.httpVersion, 'HTTP/3')
  t.is(body.headers.authorization, basic(`user:${SECRET}`))
})

test('the CLI sends them and shows the password nowhere, also with -v and when the upload fails', async (t) => {
  const endpoint = server.endpoint()
  const ok = await cli(['-v', '-F', `file=@${file.path}`, withCredentials(endpoint.url, 'user', SECRET)])
  assertExit(t, ok, 0)
  t.is((await endpoint.received()).headers.authorization, basic(`user:${SECRET}`))
  const failed = await cli([
    '-v',
    '-F',
    `file=@${file.path}`,
    `http://user:${encodeURIComponent(SECRET)}@127.0.0.1:1/up`,
  ])
  assertExit(t, failed, 7)
  for (const output of [ok.stdout, ok.stderr, failed.stdout, failed.stderr]) {
    t.false(output.includes(SECRET) || output.includes(encodeURIComponent(SECRET)), output)
  }
  t.regex(failed.stderr, /127\.0\.0\.1:1/)
})
