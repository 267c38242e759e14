'use strict'

// Compressed responses (README, Reliability): gzip, deflate, br and zstd bodies are decoded and
// all four are advertised in Accept-Encoding unless the caller sets that header; the decoded size
// is what maxResponseBytes counts, so a compression bomb fails with ERR_RESPONSE_TOO_LARGE. The
// memory a bomb takes is measured in memory.test.js.

const zlib = require('node:zlib')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { DEFAULT_MAX_RESPONSE_BYTES: DEFAULT_LIMIT, gzipBomb } = require('./helpers/responses.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { failureOf, resultOf } = require('./helpers/wait.js')

const KiB = 1024
const MiB = 1024 * KiB

const server = useServer(test)
const small = useTempFile(test, 4 * KiB, { name: 'small.bin' })

const TEXT = 'Décodé par upload-task: the response body, compressed on the wire. '.repeat(3)

/** A zstd frame holding `bytes` (at most 255) in one raw block, built by hand (RFC 8878). */
function zstdFrame(bytes) {
  if (bytes.length > 255) throw new RangeError('one content-size byte holds at most 255')
  const block = 1 | (0 << 1) | (bytes.length << 3) // last block, raw, size
  return Buffer.concat([
    Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), // magic number
    Buffer.from([0x20, bytes.length]), // single segment, 1-byte frame content size
    Buffer.from([block & 0xff, (block >> 8) & 0xff, (block >> 16) & 0xff]),
    bytes,
  ])
}

const ENCODINGS = {
  gzip: (bytes) => zlib.gzipSync(bytes),
  deflate: (bytes) => zlib.deflateSync(bytes),
  br: (bytes) => zlib.brotliCompressSync(bytes),
  zstd: zstdFrame,
}

test.serial('gzip, deflate, br and zstd responses are decoded; Accept-Encoding advertises all four', async (t) => {
  const text = Buffer.from(TEXT)
  t.true(text.length <= 255, 'the zstd frame is built with a one-byte content size')
  for (const [encoding, encode] of Object.entries(ENCODINGS)) {
    const body = encode(text)
    t.notDeepEqual(body, text)
    const endpoint = server.endpoint({
      headers: { 'Content-Encoding': encoding, 'Content-Type': 'text/plain; charset=utf-8' },
      body,
    })
    const headerEvents = []
    const result = await resultOf(
      uploadFile({ url: endpoint.url, filePath: small.path, name: 'file' }).onHeadersReceived((e) =>
        headerEvents.push(e),
      ),
    )
    t.is(result.statusCode, 200, encoding)
    t.is(result.data, TEXT, `${encoding}: data is the decoded text`)
    t.is(headerEvents.length, 1)
    t.is(headerEvents[0].header['content-type'], 'text/plain; charset=utf-8')
    const rec = await endpoint.received()
    const advertised = rec.headers['accept-encoding'].split(',').map((s) => s.trim().split(';')[0])
    for (const name of Object.keys(ENCODINGS))
      t.true(advertised.includes(name), `Accept-Encoding ${rec.headers['accept-encoding']} has ${name}`)
  }
})

test.serial("a caller's Accept-Encoding is what the server receives", async (t) => {
  for (const value of ['identity', 'gzip']) {
    const endpoint = server.endpoint({ body: 'plain' })
    const result = await resultOf(
      uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', header: { 'Accept-Encoding': value } }),
    )
    t.is(result.data, 'plain')
    const rec = await endpoint.received()
    t.is(rec.headers['accept-encoding'], value)
    const lines = rec.rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'accept-encoding')
    t.is(lines.length, 1, 'exactly one Accept-Encoding line')
  }
})

test.serial(
  'maxResponseBytes counts decoded bytes: a small compressed body that decodes past the limit fails',
  async (t) => {
    const decoded = Buffer.alloc(1001, 'z')
    for (const [encoding, encode] of Object.entries(ENCODINGS)) {
      if (encoding === 'zstd') continue // the hand-made frame holds 255 bytes at most
      const body = encode(decoded)
      t.true(body.length < 1000, `${encoding}: ${body.length} bytes on the wire`)
      const exact = server.endpoint({ headers: { 'Content-Encoding': encoding }, body: encode(decoded.subarray(1)) })
      const ok = await resultOf(
        uploadFile({ url: exact.url, filePath: small.path, name: 'file', maxResponseBytes: 1000 }),
      )
      t.is(ok.data.length, 1000, `${encoding}: exactly the limit, decoded`)
      const over = server.endpoint({ headers: { 'Content-Encoding': encoding }, body })
      const error = await failureOf(
        uploadFile({ url: over.url, filePath: small.path, name: 'file', maxResponseBytes: 1000 }),
      )
      t.is(error.code, 'ERR_RESPONSE_TOO_LARGE', encoding)
    }
  },
)

test.serial(
  'a gzip bomb (200 MiB of zeros) fails with ERR_RESPONSE_TOO_LARGE, with the default and a 1 MiB limit',
  async (t) => {
    const body = await gzipBomb()
    t.log(`the bomb is ${(body.length / KiB).toFixed(0)} KiB on the wire`)
    t.true(body.length < 1 * MiB)
    for (const [limit, expected] of [
      [undefined, DEFAULT_LIMIT],
      [MiB, MiB],
    ]) {
      const endpoint = server.endpoint({ headers: { 'Content-Encoding': 'gzip' }, body })
      const options = { url: endpoint.url, filePath: small.path, name: 'file' }
      if (limit !== undefined) options.maxResponseBytes = limit
      const error = await failureOf(uploadFile(options), 30000)
      t.is(error.code, 'ERR_RESPONSE_TOO_LARGE', `limit ${expected}`)
      t.is(error.errMsg, `uploadFile:fail response too large (over maxResponseBytes, ${expected} bytes)`)
    }
  },
)
