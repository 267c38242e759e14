'use strict'

// Decoding (docs/API.md §6, README "Compressed responses"): a gzip body of several members (RFC
// 1952 allows a series, as `cat a.gz b.gz` makes) is decoded whole, and content codings are named
// in any case (RFC 9110 §8.4.1). The size limit still counts decoded bytes across members.
// The four codings and the limit with one member are in response-encoding.test.js.

const zlib = require('node:zlib')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { failureOf, resultOf } = require('./helpers/wait.js')

const server = useServer(test)
const small = useTempFile(test, 4 * 1024, { name: 'decoding.bin' })

/** The result of an upload to a server that answers `body` with `headers`. */
async function answered(headers, body, options = {}) {
  const endpoint = server.endpoint({ headers, body })
  return resultOf(uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', ...options }))
}

test('a gzip body of two members (cat a.gz b.gz) is decoded whole', async (t) => {
  const first = 'the first member, '.repeat(50)
  const second = 'and the second one.'.repeat(50)
  const body = Buffer.concat([zlib.gzipSync(first), zlib.gzipSync(second)])
  t.is(zlib.gunzipSync(body).toString(), first + second, "Node's zlib reads both members")
  const res = await answered({ 'Content-Encoding': 'gzip' }, body)
  t.is(res.data.length, first.length + second.length)
  t.is(res.data, first + second)
})

test('content codings are case-insensitive: GZIP, Gzip, X-GZIP, Deflate, BR are decoded', async (t) => {
  const text = 'decoded whatever the case of its coding. '.repeat(20)
  for (const [coding, encode] of [
    ['GZIP', zlib.gzipSync],
    ['Gzip', zlib.gzipSync],
    ['X-GZIP', zlib.gzipSync],
    ['Deflate', zlib.deflateSync],
    ['BR', zlib.brotliCompressSync],
  ]) {
    const headerEvents = []
    const endpoint = server.endpoint({ headers: { 'Content-Encoding': coding }, body: encode(text) })
    const res = await resultOf(
      uploadFile({ url: endpoint.url, filePath: small.path, name: 'file' }).onHeadersReceived((e) =>
        headerEvents.push(e.header),
      ),
    )
    t.is(res.data, text, coding)
    t.false('content-encoding' in res.header, `${coding}: the decoded body has no content-encoding`)
    t.false('content-encoding' in headerEvents[0], `${coding}: nor in onHeadersReceived`)
  }
})

test('a coding that is not decoded is passed on as it came, with its header', async (t) => {
  const res = await answered({ 'Content-Encoding': 'compress' }, 'as it came')
  t.is(res.data, 'as it came')
  t.is(res.header['content-encoding'], 'compress')
  t.is(res.header['content-length'], '10')
})

test('maxResponseBytes counts decoded bytes across members: a bomb in the second member of a GZIP body stops there', async (t) => {
  const first = zlib.gzipSync(Buffer.alloc(1000, 'a'))
  const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 })
  const body = Buffer.concat([first, bomb])
  t.true(body.length < 128 * 1024, `${body.length} bytes on the wire`)
  const endpoint = server.endpoint({ headers: { 'Content-Encoding': 'GZIP' }, body })
  const error = await failureOf(
    uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', maxResponseBytes: 1024 * 1024 }),
  )
  t.is(error.code, 'ERR_RESPONSE_TOO_LARGE')
  const exact = await answered({ 'Content-Encoding': 'GZIP' }, Buffer.concat([first, zlib.gzipSync('b')]), {
    maxResponseBytes: 1001,
  })
  t.is(exact.data, `${'a'.repeat(1000)}b`, 'exactly the limit, over two members')
})

test('an empty body is empty whatever its Content-Encoding says (a 204, an empty 200)', async (t) => {
  for (const [status, coding] of [
    [204, 'gzip'],
    [200, 'gzip'],
    [200, 'deflate'],
    [200, 'br'],
    [200, 'zstd'],
  ]) {
    const endpoint = server.endpoint({ status, headers: { 'Content-Encoding': coding }, body: '' })
    const res = await resultOf(uploadFile({ url: endpoint.url, filePath: small.path, name: 'file' }))
    t.is(res.statusCode, status, coding)
    t.is(res.data, '', `${status} ${coding}`)
  }
})

test('a body that does not decode from its coding fails with ERR_NETWORK, saying so', async (t) => {
  for (const body of [Buffer.from('not gzip at all'), zlib.gzipSync('cut short').subarray(0, 12)]) {
    const endpoint = server.endpoint({ headers: { 'Content-Encoding': 'gzip' }, body })
    const error = await failureOf(uploadFile({ url: endpoint.url, filePath: small.path, name: 'file' }))
    t.is(error.code, 'ERR_NETWORK')
    t.regex(error.errMsg, /^uploadFile:fail the response body does not decode from its Content-Encoding: /)
  }
})
