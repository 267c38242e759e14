'use strict'

// Redirects (docs/API.md §2, `maxRedirects`): followed as browsers follow them. 301/302/303 turn
// the upload into a GET without a body; 307/308 send the whole file again, re-read from disk;
// `Authorization`, `Cookie` and the other sensitive headers go only to the origin they were meant for; https → http is
// refused; `maxRedirects: 0` returns the 3xx. Servers: the recording test servers, whose
// endpoints answer with the status and `Location` each test gives them.

const crypto = require('node:crypto')
const fs = require('node:fs')
const test = require('ava')
const { uploadFile, isUploadError } = require('../index.js')
const { makeTempFile, startServer, within } = require('../testing')
const { afterHead, rawServer } = require('./helpers/raw.js')
const { useServer, useTempFile } = require('./helpers/setup.js')

const server = useServer(test)
const other = useServer(test) // another port: another origin
const file = useTempFile(test, 2 * 1024 * 1024, { name: 'redirect.bin' })

const start = (options) => uploadFile({ filePath: file.path, name: 'file', formData: { note: 'n' }, ...options })
const upload = (options) => within(start(options), 15000, 'settlement')

/** An endpoint of `on` answering `status` with `Location: location`. */
const redirecting = (on, status, location) => on.endpoint({ status, headers: { location } })

for (const status of [307, 308]) {
  test(`${status}: the file is sent again, whole, to the new location; progress starts again from 0`, async (t) => {
    const target = server.endpoint()
    const first = redirecting(server, status, target.url)
    const events = []
    const task = start({ url: first.url, maxBytesPerSecond: 8 * 1024 * 1024 }) // ~250 ms per body: several events each
    task.onProgressUpdate((e) => events.push(e.progress))
    const res = await within(task, 15000, 'settlement')
    t.is(res.statusCode, 200)
    const [sent, resent] = [await first.received(), await target.received()]
    t.is(sent.method, 'POST')
    t.is(sent.file.sha256, file.sha256)
    t.is(resent.method, 'POST')
    t.is(resent.file.sha256, file.sha256, 'the whole file again')
    t.deepEqual(resent.fields, [['note', 'n']])
    const firstHundred = events.indexOf(100)
    t.true(firstHundred >= 0 && firstHundred < events.length - 1, `events: ${events}`)
    t.true(events[firstHundred + 1] < 100, 'the re-sent body reports from the start')
    t.is(events.at(-1), 100)
  })
}

test('307: the body is re-read from disk, not replayed from memory', async (t) => {
  const changing = await makeTempFile(256 * 1024, { name: 'changing.bin' })
  t.teardown(() => changing.remove())
  const target = server.endpoint()
  const first = server.endpoint({ status: 307, headers: { location: target.url }, delayMs: 1000 })
  const settled = upload({ url: first.url, filePath: changing.path })
  const sent = await first.received()
  t.is(sent.file.sha256, changing.sha256)
  const replacement = crypto.randomBytes(changing.size) // same size, other bytes
  fs.writeFileSync(changing.path, replacement)
  await settled
  const resent = await target.received()
  t.is(resent.file.sha256, crypto.createHash('sha256').update(replacement).digest('hex'))
})

for (const status of [301, 302, 303]) {
  test(`${status}: followed with a GET without a body`, async (t) => {
    const target = server.endpoint({ body: 'landed' })
    const first = redirecting(server, status, target.url)
    const res = await upload({ url: first.url, header: { 'X-Kept': 'yes' } })
    t.is(res.statusCode, 200)
    t.is(res.data, 'landed')
    const get = await target.received()
    t.is(get.method, 'GET')
    t.is(get.bytesReceived, 0)
    t.is(get.headers['content-type'], undefined, 'no multipart type without the body')
    t.is(get.headers['content-length'], undefined)
    t.is(get.headers['x-kept'], 'yes', "the caller's headers go along")
  })
}

test('a relative Location is resolved against the URL that answered', async (t) => {
  const target = server.endpoint()
  const first = redirecting(server, 307, `/${target.id}?from=relative`)
  await upload({ url: first.url })
  const resent = await target.received()
  t.is(resent.url, `/${target.id}?from=relative`)
  t.is(resent.file.sha256, file.sha256)
})

test('maxRedirects: 0 returns the 3xx as the result, and nothing follows it', async (t) => {
  const target = server.endpoint()
  const first = redirecting(server, 307, target.url)
  const res = await upload({ url: first.url, maxRedirects: 0 })
  t.is(res.statusCode, 307)
  t.is(res.header.location, target.url)
  t.is(target.records().length, 0)
})

test('maxRedirects: a chain as long as the limit is followed, one more fails with ERR_TOO_MANY_REDIRECTS', async (t) => {
  const chain = (length) => {
    let next = server.endpoint({ body: 'end' })
    const last = next
    for (let i = 0; i < length; i++) next = redirecting(server, 302, next.url)
    return { start: next.url, last }
  }
  const three = chain(3)
  const res = await upload({ url: three.start, maxRedirects: 3 })
  t.is(res.data, 'end')
  const four = chain(4)
  const error = await t.throwsAsync(upload({ url: four.start, maxRedirects: 3 }))
  t.true(isUploadError(error))
  t.is(error.code, 'ERR_TOO_MANY_REDIRECTS')
  t.is(error.errMsg, 'uploadFile:fail too many redirects (maxRedirects is 3)')
  t.is(four.last.records().length, 0)
  const eleven = chain(11)
  const byDefault = await t.throwsAsync(upload({ url: eleven.start }))
  t.is(byDefault.code, 'ERR_TOO_MANY_REDIRECTS', 'the default limit is 10')
  const ten = chain(10)
  t.is((await upload({ url: ten.start })).data, 'end')
})

test('Authorization, Cookie, Cookie2, Proxy-Authorization and WWW-Authenticate are dropped when the origin changes, kept on the same origin', async (t) => {
  const sensitive = {
    Authorization: 'Bearer secret',
    Cookie: 'session=1',
    Cookie2: '$Version=1',
    'Proxy-Authorization': 'Basic c2VjcmV0',
    'WWW-Authenticate': 'Basic realm="x"',
  }
  const header = { ...sensitive, 'X-Other': 'kept' }
  const elsewhere = other.endpoint()
  await upload({ url: redirecting(server, 307, elsewhere.url).url, header })
  const crossed = await elsewhere.received()
  for (const name of Object.keys(sensitive)) t.is(crossed.headers[name.toLowerCase()], undefined, name)
  t.is(crossed.headers['x-other'], 'kept')
  t.is(crossed.file.sha256, file.sha256)

  const here = server.endpoint()
  await upload({ url: redirecting(server, 307, here.url).url, header })
  const same = await here.received()
  for (const [name, value] of Object.entries(sensitive)) t.is(same.headers[name.toLowerCase()], value, name)
})

test('https → http is refused with ERR_INSECURE_REDIRECT; the http server sees nothing', async (t) => {
  const tls = await startServer({ tls: true })
  t.teardown(() => tls.close())
  const plain = server.endpoint()
  const error = await t.throwsAsync(upload({ url: redirecting(tls, 307, plain.url).url, ca: tls.ca }))
  t.is(error.code, 'ERR_INSECURE_REDIRECT')
  t.is(error.errMsg, 'uploadFile:fail redirect from https: to http: refused')
  t.is(plain.records().length, 0)
})

test('a 3xx without a usable Location is the result', async (t) => {
  const res = await upload({ url: server.endpoint({ status: 302 }).url })
  t.is(res.statusCode, 302)
  const ftp = await upload({ url: redirecting(server, 301, 'ftp://127.0.0.1/x').url })
  t.is(ftp.statusCode, 301)
})

test('maxRedirects must be a non-negative integer', async (t) => {
  for (const [maxRedirects, code] of [
    ['3', 'ERR_INVALID_ARG_TYPE'],
    [-1, 'ERR_INVALID_ARG_VALUE'],
    [1.5, 'ERR_INVALID_ARG_VALUE'],
  ]) {
    const error = await t.throwsAsync(upload({ url: server.endpoint().url, maxRedirects }))
    t.is(error.code, code, String(maxRedirects))
  }
})

test('a 307 sent before the body was read: the first body stops, its connection closes, the file goes to the new location', async (t) => {
  const big = await makeTempFile(64 * 1024 * 1024, { name: 'early.bin', randomUpTo: 1024 * 1024 })
  t.teardown(() => big.remove())
  const target = server.endpoint()
  let first
  const raw = await rawServer(t, (socket) => {
    let bytes = 0
    first = { closed: new Promise((resolve) => socket.once('close', resolve)), bytes: () => bytes }
    socket.on('data', (chunk) => {
      bytes += chunk.length
    })
    afterHead(socket, () => {
      socket.write(`HTTP/1.1 307 Temporary Redirect\r\nLocation: ${target.url}\r\nContent-Length: 0\r\n\r\n`)
    })
  })
  const res = await upload({ url: raw.url, filePath: big.path })
  t.is(res.statusCode, 200)
  t.is((await target.received()).file.sha256, big.sha256)
  await within(first.closed, 10000, 'the close of the first connection')
  t.true(first.bytes() < big.size / 2, `the first server read ${first.bytes()} bytes, not the whole body again`)
})
