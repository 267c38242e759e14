'use strict'

// Reliability against hostile or broken peers and inputs (the hardening of src/response.rs,
// src/file_reader.rs, src/progress.rs, src/upload.rs, src/error.rs, src/options.rs): response
// size limits and decoded responses, many header lines, nothing sent after settlement, paths
// that are not regular files, files that report no size, Node's path error codes, NUL bytes,
// secrets kept out of messages, the progress trailing edge, callback-style failures, and memory
// over many uploads. Everything runs against real servers on 127.0.0.1 (raw `net` servers where
// an HTTP library would be too polite) and checks what the caller gets.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const fsp = require('node:fs/promises')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { setTimeout: delay } = require('node:timers/promises')
const util = require('node:util')
const zlib = require('node:zlib')
const test = require('ava')
const { uploadFile, ErrorCode } = require('../index.js')
const { closedPort, makeTempFile, sha256File, within } = require('../testing')
const { runFixture, runNode, spawnNode, FIXTURES } = require('./helpers/child.js')
const { rawServer, nodeOpenError } = require('./helpers/raw.js')
const { useServer, useTempFile } = require('./helpers/setup.js')

const KiB = 1024
const MiB = 1024 * KiB
/** The default `maxResponseBytes` (README, options table). */
const DEFAULT_LIMIT = 64 * MiB
/** `maxResponseBytes: Infinity`: the most bytes whose text fits a JavaScript string. */
const STRING_LIMIT = 2 ** 29 - 24

const server = useServer(test)
const small = useTempFile(test, 4 * KiB, { name: 'small.bin' })

// ---------------------------------------------------------------------------------------------
// Helpers

/** A fresh directory under os.tmpdir(), removed when the test ends. */
async function tempDir(t) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'upload-task-reliability-'))
  t.teardown(() => fsp.rm(dir, { recursive: true, force: true }))
  return dir
}

/** A sparse file of `size` bytes (zeros, no disk blocks), removed when the test ends. */
async function sparseFile(t, size, name = 'sparse.bin') {
  const file = path.join(await tempDir(t), name)
  await fsp.writeFile(file, '')
  await fsp.truncate(file, size)
  return file
}

/** The task's outcome, bounded: `{ result }` or `{ error }`. */
function outcomeOf(task, ms = 10000, what = 'the settlement of the upload') {
  return within(
    task.then(
      (result) => ({ result }),
      (error) => ({ error }),
    ),
    ms,
    what,
  )
}

/** The task's failure, bounded; fails the test with the status when it succeeded instead. */
async function failureOf(t, task, ms) {
  const { result, error } = await outcomeOf(task, ms)
  if (result) t.fail(`the upload succeeded (status ${result.statusCode}, ${result.data.length} bytes of data)`)
  return error
}

/** The task's result, bounded; fails the test with the error when it failed instead. */
async function resultOf(t, task, ms) {
  const { result, error } = await outcomeOf(task, ms)
  if (error) t.fail(`the upload failed: ${error.code} ${error.errMsg}`)
  return result
}

/** Polls `check()` every 20 ms until it is truthy; rejects after `ms` naming `what`. */
async function until(check, ms, what) {
  const deadline = Date.now() + ms
  for (;;) {
    if (check()) return
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`)
    await delay(20)
  }
}

/** A promise and its resolve function. */
function deferred() {
  let resolve
  const promise = new Promise((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Lower-case header names to values (the last one wins) of a request or response head. */
function headersOf(head) {
  const headers = {}
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return headers
}

/**
 * Reads HTTP/1.1 requests (with a Content-Length body, as the addon always sends) from `socket`,
 * one after another: `onHead(request)` as soon as a head has arrived, `onRequest(request)` once
 * its body was read whole. `request` is `{ head, headers, socket }`.
 */
function readRequests(socket, { onHead, onRequest } = {}) {
  let pending = Buffer.alloc(0)
  let current = null
  socket.on('data', (chunk) => {
    pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk
    for (;;) {
      if (!current) {
        const end = pending.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = pending.subarray(0, end).toString('latin1')
        pending = pending.subarray(end + 4)
        const headers = headersOf(head)
        current = { head, headers, socket, remaining: Number(headers['content-length'] ?? 0) }
        onHead?.(current)
      }
      const take = Math.min(current.remaining, pending.length)
      current.remaining -= take
      pending = pending.subarray(take)
      if (current.remaining > 0) return
      const done = current
      current = null
      onRequest?.(done)
    }
  })
}

/** One chunk of 1 MiB in chunked transfer coding. */
const ENDLESS_CHUNK = Buffer.concat([
  Buffer.from(`${MiB.toString(16)}\r\n`),
  Buffer.alloc(MiB, 'a'),
  Buffer.from('\r\n'),
])

/**
 * Answers every request, once its body was read, with a chunked 200 whose body never ends,
 * written as fast as the client reads it. `state.written` counts the body bytes written,
 * `state.closed` resolves when a connection closes.
 */
function endlessResponder() {
  const closed = deferred()
  const state = { written: 0, closed: closed.promise }
  const onSocket = (socket) => {
    socket.on('close', () => closed.resolve())
    readRequests(socket, {
      onRequest: () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n')
        const pump = () => {
          while (!socket.destroyed) {
            state.written += MiB
            if (!socket.write(ENDLESS_CHUNK)) {
              socket.once('drain', pump)
              return
            }
          }
        }
        pump()
      },
    })
  }
  return { state, onSocket }
}

/** Whether this process has a descriptor open on `file` (its links in /proc/self/fd), even deleted. */
function hasOpen(file) {
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const link = fs.readlinkSync(`/proc/self/fd/${fd}`)
      if (link === file || link === `${file} (deleted)`) return true
    } catch {
      // closed between readdir and readlink
    }
  }
  return false
}

/** The median of a list of numbers. */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/** Parses the one JSON line a fixture printed. */
function jsonLine(t, run) {
  t.false(run.timedOut, `the child timed out; stderr: ${run.stderr}`)
  t.is(run.code, 0, `the child failed; stderr: ${run.stderr}`)
  return JSON.parse(run.stdout.trim().split('\n').at(-1))
}

// ---------------------------------------------------------------------------------------------
// 1. Unbounded responses: maxResponseBytes

test.serial(
  'a response body that never ends fails with ERR_RESPONSE_TOO_LARGE, and the connection is closed',
  async (t) => {
    const { state, onSocket } = endlessResponder()
    const { url } = await rawServer(t, onSocket)
    const started = Date.now()
    const error = await failureOf(t, uploadFile({ url, filePath: small.path, name: 'file' }), 15000)
    t.log(`failed after ${Date.now() - started} ms; the server had written ${(state.written / MiB).toFixed(0)} MiB`)
    t.is(error.code, ErrorCode.ERR_RESPONSE_TOO_LARGE)
    t.is(error.code, 'ERR_RESPONSE_TOO_LARGE')
    t.is(error.errMsg, `uploadFile:fail response too large (over maxResponseBytes, ${DEFAULT_LIMIT} bytes)`)
    t.true(state.written >= DEFAULT_LIMIT, 'the server wrote at least the limit before the client gave up')
    await within(state.closed, 5000, 'the server seeing the connection closed')
  },
)

test.serial('a Content-Length above the limit fails before the body is read', async (t) => {
  for (const { announced, limit, expected } of [
    { announced: DEFAULT_LIMIT + 1, limit: undefined, expected: DEFAULT_LIMIT },
    { announced: 1001, limit: 1000, expected: 1000 },
    { announced: STRING_LIMIT + 1, limit: Number.POSITIVE_INFINITY, expected: STRING_LIMIT },
  ]) {
    const closed = deferred()
    const { url } = await rawServer(t, (socket) => {
      socket.on('close', () => closed.resolve())
      // The head only; the socket stays open and the body never comes.
      readRequests(socket, {
        onRequest: () => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${announced}\r\n\r\n`),
      })
    })
    const options = { url, filePath: small.path, name: 'file', timeout: Number.POSITIVE_INFINITY }
    if (limit !== undefined) options.maxResponseBytes = limit
    const headerEvents = []
    const task = uploadFile(options).onHeadersReceived((e) => headerEvents.push(e))
    const error = await failureOf(t, task, 5000)
    const what = `Content-Length ${announced}, maxResponseBytes ${limit}`
    t.is(error.code, 'ERR_RESPONSE_TOO_LARGE', what)
    t.is(error.errMsg, `uploadFile:fail response too large (over maxResponseBytes, ${expected} bytes)`, what)
    await within(closed.promise, 5000, `the server seeing the connection closed (${what})`)
  }
})

test.serial(
  'a body of exactly maxResponseBytes succeeds, one byte more fails (Content-Length and chunked)',
  async (t) => {
    for (const framing of ['content-length', 'chunked']) {
      for (const limit of [0, 1000, 100 * KiB]) {
        const headers = framing === 'chunked' ? { 'Transfer-Encoding': 'chunked' } : {}
        const fits = server.endpoint({ headers, body: 'x'.repeat(limit) })
        const result = await resultOf(
          t,
          uploadFile({ url: fits.url, filePath: small.path, name: 'file', maxResponseBytes: limit }),
        )
        t.is(result.statusCode, 200)
        t.is(result.data, 'x'.repeat(limit), `${framing}, ${limit} bytes, limit ${limit}`)
        t.is(result.header['transfer-encoding'], framing === 'chunked' ? 'chunked' : undefined)

        const over = server.endpoint({ headers, body: 'x'.repeat(limit + 1) })
        const error = await failureOf(
          t,
          uploadFile({ url: over.url, filePath: small.path, name: 'file', maxResponseBytes: limit }),
        )
        t.is(error.code, 'ERR_RESPONSE_TOO_LARGE', `${framing}, ${limit + 1} bytes, limit ${limit}`)
        t.is(error.errMsg, `uploadFile:fail response too large (over maxResponseBytes, ${limit} bytes)`)
      }
    }
    // A fractional limit counts whole bytes; Infinity and null take large bodies.
    const ten = server.endpoint({ body: '0123456789' })
    t.is(
      (await resultOf(t, uploadFile({ url: ten.url, filePath: small.path, name: 'file', maxResponseBytes: 10.7 })))
        .data,
      '0123456789',
    )
    for (const maxResponseBytes of [Number.POSITIVE_INFINITY, null]) {
      const big = server.endpoint({ body: 'y'.repeat(2 * MiB) })
      const result = await resultOf(
        t,
        uploadFile({ url: big.url, filePath: small.path, name: 'file', maxResponseBytes }),
      )
      t.is(result.data.length, 2 * MiB, `maxResponseBytes ${maxResponseBytes}`)
    }
  },
)

test.serial('maxResponseBytes of a bad value or type is a parameter error, and nothing is sent', async (t) => {
  const endpoint = server.endpoint()
  for (const [maxResponseBytes, code, errMsg] of [
    [
      -1,
      'ERR_INVALID_ARG_VALUE',
      'uploadFile:fail parameter error: parameter.maxResponseBytes should be a non-negative Number, got -1',
    ],
    [
      Number.NaN,
      'ERR_INVALID_ARG_VALUE',
      'uploadFile:fail parameter error: parameter.maxResponseBytes should be a non-negative Number, got NaN',
    ],
    [
      'x',
      'ERR_INVALID_ARG_TYPE',
      'uploadFile:fail parameter error: parameter.maxResponseBytes should be Number instead of String',
    ],
    [
      10n,
      'ERR_INVALID_ARG_TYPE',
      'uploadFile:fail parameter error: parameter.maxResponseBytes should be Number instead of BigInt',
    ],
  ]) {
    const error = await failureOf(
      t,
      uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', maxResponseBytes }),
    )
    t.is(error.code, code, String(maxResponseBytes))
    t.is(error.errMsg, errMsg)
  }
  await delay(100)
  t.is(endpoint.records().length, 0, 'the server received nothing')
})

test.serial(
  'memory: a never-ending response with the default limit raises peak RSS by less than 100 MiB',
  async (t) => {
    const { state, onSocket } = endlessResponder()
    const { url } = await rawServer(t, onSocket)
    const warm = server.endpoint({ body: 'ok' })
    const report = jsonLine(
      t,
      await runFixture('reliability-response-memory.js', [warm.url, url, small.path], { timeoutMs: 60000 }),
    )
    const growth = report.hwmAfter - report.hwmBefore
    t.log(
      `VmHWM ${(report.hwmBefore / MiB).toFixed(1)} MiB -> ${(report.hwmAfter / MiB).toFixed(1)} MiB: +${(growth / MiB).toFixed(1)} MiB (server wrote ${(state.written / MiB).toFixed(0)} MiB)`,
    )
    t.is(report.outcome, 'failure')
    t.is(report.code, 'ERR_RESPONSE_TOO_LARGE')
    t.true(growth < 100 * MiB, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB`)
  },
)

// ---------------------------------------------------------------------------------------------
// 2. Compressed responses

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
      t,
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
      t,
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
        t,
        uploadFile({ url: exact.url, filePath: small.path, name: 'file', maxResponseBytes: 1000 }),
      )
      t.is(ok.data.length, 1000, `${encoding}: exactly the limit, decoded`)
      const over = server.endpoint({ headers: { 'Content-Encoding': encoding }, body })
      const error = await failureOf(
        t,
        uploadFile({ url: over.url, filePath: small.path, name: 'file', maxResponseBytes: 1000 }),
      )
      t.is(error.code, 'ERR_RESPONSE_TOO_LARGE', encoding)
    }
  },
)

/** gzip of 200 MiB of zeros, made once (a few hundred KiB). */
let bomb
function gzipBomb() {
  bomb ??= new Promise((resolve, reject) => {
    const gzip = zlib.createGzip({ level: 9 })
    const parts = []
    gzip.on('data', (part) => parts.push(part))
    gzip.on('end', () => resolve(Buffer.concat(parts)))
    gzip.on('error', reject)
    const zeros = Buffer.alloc(MiB)
    let written = 0
    const write = () => {
      while (written < 200) {
        written++
        if (!gzip.write(zeros)) {
          gzip.once('drain', write)
          return
        }
      }
      gzip.end()
    }
    write()
  })
  return bomb
}

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
      const error = await failureOf(t, uploadFile(options), 30000)
      t.is(error.code, 'ERR_RESPONSE_TOO_LARGE', `limit ${expected}`)
      t.is(error.errMsg, `uploadFile:fail response too large (over maxResponseBytes, ${expected} bytes)`)
    }
  },
)

test.serial('memory: a gzip bomb with the default limit raises peak RSS by less than 100 MiB', async (t) => {
  const body = await gzipBomb()
  const endpoint = server.endpoint({ headers: { 'Content-Encoding': 'gzip' }, body })
  const warm = server.endpoint({ body: 'ok' })
  const report = jsonLine(
    t,
    await runFixture('reliability-response-memory.js', [warm.url, endpoint.url, small.path], { timeoutMs: 60000 }),
  )
  const growth = report.hwmAfter - report.hwmBefore
  t.log(
    `VmHWM ${(report.hwmBefore / MiB).toFixed(1)} MiB -> ${(report.hwmAfter / MiB).toFixed(1)} MiB: +${(growth / MiB).toFixed(1)} MiB`,
  )
  t.is(report.code, 'ERR_RESPONSE_TOO_LARGE')
  t.true(growth < 100 * MiB, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB`)
})

// ---------------------------------------------------------------------------------------------
// 3. Many header lines

test.serial('a response with 1500 header lines succeeds with all of them, after exactly one request', async (t) => {
  const LINES = 1500
  let requests = 0
  const lines = Array.from({ length: LINES }, (_, i) => `X-Header-${i}: value-${i}-${'v'.repeat(i % 17)}`)
  const raw = await rawServer(t, (socket) => {
    readRequests(socket, {
      onHead: () => {
        requests++
      },
      onRequest: () => socket.write(`HTTP/1.1 200 OK\r\n${lines.join('\r\n')}\r\nContent-Length: 2\r\n\r\nok`),
    })
  })
  const headerEvents = []
  const result = await resultOf(
    t,
    uploadFile({ url: raw.url, filePath: small.path, name: 'file' }).onHeadersReceived((e) => headerEvents.push(e)),
  )
  t.is(result.statusCode, 200)
  t.is(result.data, 'ok')
  t.is(headerEvents.length, 1)
  for (const [what, header] of [
    ['res.header', result.header],
    ['onHeadersReceived', headerEvents[0].header],
  ]) {
    t.is(Object.keys(header).length, LINES + 1, `${what}: every line, and Content-Length`)
    const missing = lines.filter((line) => {
      const [name, value] = line.split(': ')
      return header[name.toLowerCase()] !== value
    })
    t.deepEqual(missing, [], `${what}: every header with its value`)
  }
  await delay(200)
  t.is(requests, 1, 'the server saw exactly one request (no retry)')
  t.is(raw.connections, 1)
})

// ---------------------------------------------------------------------------------------------
// 4. Nothing sent after settlement

test.serial('after an early 413, nothing more is sent, the connection is closed and the file is closed', async (t) => {
  const size = 256 * MiB
  const file = await sparseFile(t, size)
  let received = 0
  let openAtHead
  const closed = deferred()
  const { url } = await rawServer(t, (socket) => {
    socket.on('close', () => closed.resolve())
    let head = ''
    socket.on('data', (chunk) => {
      received += chunk.length
      if (openAtHead !== undefined) return
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      openAtHead = hasOpen(file)
      // Answer at once, keep-alive, and go on reading (draining) the body.
      socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n')
    })
  })
  const result = await resultOf(t, uploadFile({ url, filePath: file, name: 'file' }), 20000)
  const atSettlement = received
  t.is(result.statusCode, 413)
  t.true(openAtHead, 'the upload had its file open when the request head arrived (the check can see it)')
  await delay(300)
  const after300 = received
  await delay(1000)
  const after1300 = received
  t.log(
    `bytes received: ${atSettlement} at settlement, ${after300} at +300 ms, ${after1300} at +1300 ms (file ${size})`,
  )
  t.is(after1300, after300, 'the bytes received stopped growing after settlement')
  t.true(after1300 < size, 'the body was cut short')
  await within(closed.promise, 3000, 'the server seeing the connection closed')
  await until(() => !hasOpen(file), 3000, 'the file being closed')
})

// When the task settles (early response, deadline, abort) while the server has stopped reading,
// the connection is blocked writing to a full socket and never polls the body again; the file is
// closed from outside the body all the same (src/upload.rs `Stop`, src/file_reader.rs
// `FileCloser`). The connection itself goes when the server reads or closes, or when the TCP user
// timeout passes (README, Reliability).

/**
 * A raw server that reads the request head and then `readFirst` more bytes, writes `answer` (if
 * given) when the head has arrived, and then reads nothing more: the connection stays open and
 * the client's writes stall. `stalled` resolves once it stopped reading.
 */
async function stallingServer(t, { answer, readFirst = 0 }) {
  const state = { closed: deferred(), stalled: deferred(), stalledConnections: 0 }
  const raw = await rawServer(t, (socket) => {
    socket.on('close', () => state.closed.resolve())
    let head = ''
    let body = -1 // body bytes read; -1 until the head has arrived
    const onData = (chunk) => {
      if (body < 0) {
        head += chunk.toString('latin1')
        const end = head.indexOf('\r\n\r\n')
        if (end < 0) return
        if (answer) socket.write(answer)
        body = head.length - end - 4
      } else {
        body += chunk.length
      }
      if (body < readFirst) return
      socket.off('data', onData)
      socket.pause()
      state.stalledConnections++
      state.stalled.resolve()
    }
    socket.on('data', onData)
  })
  return {
    url: raw.url,
    closed: state.closed,
    stalled: state.stalled,
    get stalledConnections() {
      return state.stalledConnections
    },
  }
}

test.serial('after an early 413 from a server that then stops reading, the file is closed', async (t) => {
  const file = await sparseFile(t, 256 * MiB)
  const { url } = await stallingServer(t, { answer: 'HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n' })
  const result = await resultOf(t, uploadFile({ url, filePath: file, name: 'file' }), 10000)
  t.is(result.statusCode, 413)
  await until(() => !hasOpen(file), 2000, 'the file being closed after settlement')
  t.pass()
})

test.serial('a deadline that passes while the server reads nothing closes the file', async (t) => {
  const file = await sparseFile(t, 256 * MiB)
  const { url, stalled } = await stallingServer(t, {})
  const error = await failureOf(t, uploadFile({ url, filePath: file, name: 'file', timeout: 1000 }), 10000)
  await stalled.promise
  t.is(error.code, 'ETIMEDOUT')
  await until(() => !hasOpen(file), 2000, 'the file being closed after the deadline')
  t.pass()
})

// Five at once: before the fix, at least one of five stayed open in every trial.
test.serial('abort() while the server reads nothing closes the file', async (t) => {
  const files = await Promise.all(Array.from({ length: 5 }, (_, i) => sparseFile(t, 256 * MiB, `stall-${i}.bin`)))
  const stalling = await stallingServer(t, { readFirst: 30 * MiB })
  const tasks = files.map((file) =>
    uploadFile({ url: stalling.url, filePath: file, name: 'file', timeout: Number.POSITIVE_INFINITY }),
  )
  const outcomes = tasks.map((task) => outcomeOf(task))
  await until(() => stalling.stalledConnections === files.length, 20000, 'the server reading 30 MiB of each upload')
  await delay(500) // the socket buffers fill; the uploads stall
  for (const task of tasks) task.abort()
  for (const outcome of outcomes) t.is((await outcome).error.code, 'ABORT_ERR')
  await until(() => files.every((file) => !hasOpen(file)), 2000, 'every file being closed after abort()')
  t.pass()
})

// ---------------------------------------------------------------------------------------------
// 5. Paths that are not regular files

test.serial(
  '600 uploads of a FIFO at once all fail with ERR_NOT_REGULAR_FILE; an upload right after succeeds',
  async (t) => {
    const fifo = path.join(await tempDir(t), 'pipe')
    execFileSync('mkfifo', [fifo])
    const endpoint = server.endpoint()
    const started = Date.now()
    const outcomes = await within(
      Promise.all(
        Array.from({ length: 600 }, () => outcomeOf(uploadFile({ url: endpoint.url, filePath: fifo, name: 'file' }))),
      ),
      5000,
      '600 FIFO uploads settling',
    )
    t.log(`600 FIFO uploads settled in ${Date.now() - started} ms`)
    const codes = new Set(outcomes.map((o) => o.error?.code))
    t.deepEqual([...codes], ['ERR_NOT_REGULAR_FILE'])
    t.is(outcomes[0].error.errMsg, `uploadFile:fail not a regular file: '${fifo}'`)
    t.is(endpoint.records().length, 0, 'nothing was sent')

    const normal = server.endpoint()
    const result = await resultOf(t, uploadFile({ url: normal.url, filePath: small.path, name: 'file' }), 5000)
    t.is(result.statusCode, 200)
    t.is((await normal.received()).file.sha256, small.sha256)
  },
)

test.serial('a Unix socket and /dev/null fail with ERR_NOT_REGULAR_FILE', async (t) => {
  const sockPath = path.join(await tempDir(t), 'sock')
  const unix = net.createServer((socket) => socket.destroy())
  await new Promise((resolve) => unix.listen(sockPath, resolve))
  t.teardown(() => new Promise((resolve) => unix.close(resolve)))
  const endpoint = server.endpoint()
  for (const filePath of [sockPath, '/dev/null']) {
    const error = await failureOf(t, uploadFile({ url: endpoint.url, filePath, name: 'file' }), 5000)
    t.is(error.code, 'ERR_NOT_REGULAR_FILE', filePath)
    t.is(error.errMsg, `uploadFile:fail not a regular file: '${filePath}'`)
  }
  t.is(endpoint.records().length, 0)
})

// ---------------------------------------------------------------------------------------------
// 6. A file that reports no size

test.serial('/proc/version (stat size 0) arrives whole, and totalBytesExpectedToSend counts it', async (t) => {
  const content = fs.readFileSync('/proc/version')
  t.is(fs.statSync('/proc/version').size, 0, 'the scenario needs a file that reports size 0')
  t.true(content.length > 0)
  const endpoint = server.endpoint()
  const events = []
  const result = await resultOf(
    t,
    uploadFile({ url: endpoint.url, filePath: '/proc/version', name: 'file' }).onProgressUpdate((e) => events.push(e)),
  )
  t.is(result.statusCode, 200)
  const rec = await endpoint.received()
  t.is(rec.file.bytes, content.length)
  t.is(rec.file.sha256, require('node:crypto').createHash('sha256').update(content).digest('hex'))
  t.is(rec.file.filename, 'version')
  const last = events.at(-1)
  t.is(last.progress, 100)
  t.is(last.totalBytesExpectedToSend, rec.bytesReceived)
  t.is(rec.headers['content-length'], String(rec.bytesReceived))

  // The same bytes in a regular file with the same name give the same total.
  const copy = path.join(await tempDir(t), 'version')
  await fsp.writeFile(copy, content)
  const twin = server.endpoint()
  const twinEvents = []
  await resultOf(
    t,
    uploadFile({ url: twin.url, filePath: copy, name: 'file' }).onProgressUpdate((e) => twinEvents.push(e)),
  )
  t.is(twinEvents.at(-1).totalBytesExpectedToSend, last.totalBytesExpectedToSend)
  t.is((await twin.received()).file.sha256, await sha256File(copy))
})

// ---------------------------------------------------------------------------------------------
// 7. Error codes of paths, NUL bytes, a TLS reset

test.serial("ELOOP, ENOTDIR and ENAMETOOLONG carry Node's code and wording", async (t) => {
  const dir = await tempDir(t)
  const loopA = path.join(dir, 'loop-a')
  fs.symlinkSync(path.join(dir, 'loop-b'), loopA)
  fs.symlinkSync(loopA, path.join(dir, 'loop-b'))
  const regular = path.join(dir, 'file.txt')
  fs.writeFileSync(regular, 'x')
  const endpoint = server.endpoint()
  for (const [code, filePath] of [
    ['ELOOP', loopA],
    ['ENOTDIR', path.join(regular, 'x')],
    ['ENAMETOOLONG', path.join(dir, 'n'.repeat(300))],
  ]) {
    const error = await failureOf(t, uploadFile({ url: endpoint.url, filePath, name: 'file' }), 5000)
    t.is(error.code, code)
    t.is(error.errMsg, `uploadFile:fail ${nodeOpenError(filePath)}`, code)
  }
  t.is(endpoint.records().length, 0)
})

test.serial('a NUL byte in any string option is ERR_INVALID_ARG_VALUE, and the server receives nothing', async (t) => {
  const endpoint = server.endpoint()
  const base = () => ({ url: endpoint.url, filePath: small.path, name: 'file' })
  const cases = {
    url: { url: `${endpoint.url}?a=\0` },
    filePath: { filePath: `${small.path}\0.txt` },
    name: { name: 'fi\0le' },
    fileName: { fileName: 'a\0.txt' },
    header: { header: { 'X-Value': 'a\0b' } },
    'header name': { header: { 'X-Na\0me': 'value' } },
    formData: { formData: { 'k\0ey': 'value' } },
    'formData value': { formData: { key: 'va\0lue' } },
  }
  for (const [what, change] of Object.entries(cases)) {
    const error = await failureOf(t, uploadFile({ ...base(), ...change }), 5000)
    t.is(error.code, 'ERR_INVALID_ARG_VALUE', what)
    t.regex(error.errMsg, /^uploadFile:fail parameter error: parameter\.\w+ /, what)
    t.false(error.errMsg.includes('\0'), `${what}: the errMsg does not carry the NUL`)
  }
  await delay(200)
  t.is(endpoint.records().length, 0, 'the server received nothing')
})

test.serial('a TLS server that resets after the ClientHello gives ECONNRESET', async (t) => {
  let hellos = 0
  const { port } = await rawServer(t, (socket) => {
    socket.once('data', (chunk) => {
      if (chunk[0] === 0x16) hellos++ // a TLS handshake record
      socket.resetAndDestroy()
    })
  })
  const error = await failureOf(
    t,
    uploadFile({ url: `https://127.0.0.1:${port}/up`, filePath: small.path, name: 'file' }),
    5000,
  )
  t.is(hellos, 1, 'the server read a ClientHello')
  t.is(error.code, 'ECONNRESET', error.errMsg)
})

// ---------------------------------------------------------------------------------------------
// 8. Secrets

test.serial('the credentials of a URL that does not parse appear nowhere in the error', async (t) => {
  const error = await failureOf(t, uploadFile({ url: 'http://user:SECRET@[bad', filePath: small.path, name: 'file' }))
  t.is(error.code, 'ERR_INVALID_ARG_VALUE')
  for (const [what, text] of [
    ['errMsg', error.errMsg],
    ['stack', error.stack],
    ['inspect', util.inspect(error, { depth: 5 })],
  ]) {
    t.false(text.includes('SECRET'), `${what}: ${text}`)
  }
})

test.serial('a refused connection names host, port and path, but not the password, query or fragment', async (t) => {
  const port = await closedPort()
  const url = `http://user:SECRET@127.0.0.1:${port}/p?sig=SIGNATURE#frag`
  const error = await failureOf(t, uploadFile({ url, filePath: small.path, name: 'file' }))
  t.is(error.code, 'ECONNREFUSED')
  t.log(error.errMsg)
  for (const [what, text] of [
    ['errMsg', error.errMsg],
    ['stack', error.stack],
    ['inspect', util.inspect(error, { depth: 5 })],
  ]) {
    for (const secret of ['SECRET', 'SIGNATURE', 'sig=', 'user', 'frag'])
      t.false(text.includes(secret), `${what} has ${secret}: ${text}`)
  }
  t.true(error.errMsg.includes(`127.0.0.1:${port}/p`), error.errMsg)
})

test.serial(
  'formData with a circular object is ERR_INVALID_ARG_VALUE with a one-line errMsg and the TypeError as cause',
  async (t) => {
    const circular = { a: 1 }
    circular.self = circular
    const endpoint = server.endpoint()
    const error = await failureOf(
      t,
      uploadFile({ url: endpoint.url, filePath: small.path, name: 'file', formData: { circular } }),
    )
    t.is(error.code, 'ERR_INVALID_ARG_VALUE')
    t.false(error.errMsg.includes('\n'), error.errMsg)
    t.regex(error.errMsg, /^uploadFile:fail parameter error: .*circular/i)
    t.true(error.cause instanceof TypeError)
    const firstLine = error.cause.message.split('\n')[0]
    t.true(error.cause.message.includes('\n'), 'the TypeError itself spans several lines')
    t.true(error.errMsg.endsWith(`: ${firstLine}`), error.errMsg)
    t.true(error.errMsg.includes('formData'), `the errMsg names formData: ${error.errMsg}`)
    await delay(100)
    t.is(endpoint.records().length, 0)
  },
)

// ---------------------------------------------------------------------------------------------
// 9. Progress: the trailing edge and the heartbeat

test.serial('a receiver that stops reading: progress still reports where the upload stalled', async (t) => {
  const file = await sparseFile(t, 256 * MiB)
  let head = ''
  let received = -1 // body bytes (as totalBytesSent counts them); -1 until the request head arrived
  let paused = false
  let serverSocket
  const ended = deferred()
  const { url } = await rawServer(t, (socket) => {
    serverSocket = socket
    socket.on('close', () => ended.resolve())
    socket.on('data', (chunk) => {
      if (received < 0) {
        head += chunk.toString('latin1')
        const end = head.indexOf('\r\n\r\n')
        if (end < 0) return
        received = head.length - end - 4
      } else {
        received += chunk.length
      }
      if (!paused && received >= 30 * MiB) {
        paused = true
        socket.pause() // keeps the socket open, reads nothing more
      }
    })
  })
  const events = []
  const task = uploadFile({ url, filePath: file, name: 'file', timeout: Number.POSITIVE_INFINITY })
  task.onProgressUpdate((e) => events.push({ ...e, at: Date.now() }))
  const outcome = outcomeOf(task, 30000)
  await until(() => paused, 20000, 'the server reading 30 MiB')
  const pausedAt = Date.now()
  const readBeforePause = received
  await until(
    () => events.some((e) => e.totalBytesSent >= readBeforePause),
    3000,
    'a progress event past what the server read',
  )
  // Wait until no event came for 700 ms: everything handed over has been reported.
  await until(() => Date.now() - events.at(-1).at > 700, 5000, 'progress events stopping')
  const last = events.at(-1)
  t.log(
    `server read ${readBeforePause} bytes then paused; last event ${last.totalBytesSent} bytes, ${last.at - pausedAt} ms after the pause`,
  )

  // Abort, then drain: every body byte the server now gets was handed over before the abort.
  task.abort()
  t.is((await outcome).error.code, 'ABORT_ERR')
  serverSocket.resume()
  await within(ended.promise, 5000, 'the server reading to the end of the connection')
  t.log(`the server received ${received} bytes in all`)
  t.true(
    last.totalBytesSent >= received,
    `the last event (${last.totalBytesSent}) counts every byte that arrived (${received})`,
  )
  t.true(last.totalBytesSent < last.totalBytesExpectedToSend)
})

test.serial('a slow receiver (1 MiB per 100 ms) gets progress events at a steady pace', async (t) => {
  const file = await sparseFile(t, 1024 * MiB)
  let budget = MiB
  const sockets = []
  const { url } = await rawServer(t, (socket) => {
    sockets.push(socket)
    socket.on('data', (chunk) => {
      budget -= chunk.length
      if (budget <= 0) socket.pause()
    })
  })
  const pace = setInterval(() => {
    budget = MiB
    for (const socket of sockets) socket.resume()
  }, 100)
  t.teardown(() => clearInterval(pace))
  const events = []
  const task = uploadFile({ url, filePath: file, name: 'file', timeout: Number.POSITIVE_INFINITY })
  task.onProgressUpdate((e) => events.push({ ...e, at: Date.now() }))
  const outcome = outcomeOf(task, 30000)
  await until(() => events.length > 0, 10000, 'a first progress event')
  await delay(3000)
  task.abort()
  t.is((await outcome).error.code, 'ABORT_ERR')
  const steady = events.filter((e) => e.at - events[0].at >= 500) // after the socket buffers filled
  const gaps = steady.slice(1).map((e, i) => e.at - steady[i].at)
  t.log(`${events.length} events; gaps after the first 500 ms (ms): median ${median(gaps)}, max ${Math.max(...gaps)}`)
  t.true(gaps.length >= 4, `${gaps.length} gaps`)
  t.true(median(gaps) < 400, `median gap ${median(gaps)} ms`)
  t.true(
    steady.every((e, i) => i === 0 || e.totalBytesSent > steady[i - 1].totalBytesSent),
    'each event reports bytes that moved',
  )
})

// ---------------------------------------------------------------------------------------------
// 10. Callback-style failures

/** The JSON lines a fixture printed. */
const jsonLines = (stdout) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
test('a failure with only a success callback does not crash the process and is reported as a warning', async (t) => {
  const port = await closedPort()
  const url = `http://127.0.0.1:${port}/up`
  const run = await runFixture('reliability-callback.js', ['success-only', url, small.path], { timeoutMs: 20000 })
  const events = jsonLines(run.stdout)
  t.false(run.timedOut)
  t.is(run.code, 0, `the process exits normally; stderr: ${run.stderr}`)
  t.false(
    events.some((e) => e.success),
    'success is not called',
  )
  const warnings = events.filter((e) => e.warning).map((e) => e.warning)
  t.is(warnings.length, 1, JSON.stringify(warnings))
  const [warning] = warnings
  t.is(warning?.name, 'UploadTaskWarning')
  t.true(warning?.message.includes(`uploadFile:fail `), warning?.message)
  t.true(warning?.message.includes('ECONNREFUSED') || warning?.message.includes('refused'), warning?.message)
  t.is(warning?.code, 'UPLOAD_TASK_UNHANDLED_FAILURE')
})

test('a failure with a success callback still reaches .catch()', async (t) => {
  const port = await closedPort()
  const url = `http://127.0.0.1:${port}/up`
  const run = await runFixture('reliability-callback.js', ['success-catch', url, small.path], { timeoutMs: 20000 })
  const events = jsonLines(run.stdout)
  t.false(run.timedOut)
  t.is(run.code, 0, `stderr: ${run.stderr}`)
  const caught = events.filter((e) => e.caught).map((e) => e.caught)
  t.is(caught.length, 1)
  t.is(caught[0].code, 'ECONNREFUSED')
  t.true(caught[0].errMsg.startsWith('uploadFile:fail '))
  t.false(events.some((e) => e.success))
  t.deepEqual(events.at(-1), { exit: 0 })
})

// ---------------------------------------------------------------------------------------------
// Memory over many uploads. The child starts in the background with the file (it takes the
// longest), against a server in a third process that counts the requests.

const MANY = 20000
const CHECKPOINT = 2000
let many

// Its own file: hooks run concurrently, so `small` may not exist yet.
test.before(async () => {
  const file = await makeTempFile(4 * KiB, { name: 'many.bin' })
  const sink = spawnNode([path.join(FIXTURES, 'reliability-sink.js')], { timeoutMs: 180000 })
  const url = await new Promise((resolve, reject) => {
    let text = ''
    sink.child.stdout.on('data', (chunk) => {
      text += chunk
      if (text.includes('\n')) resolve(text.split('\n')[0])
    })
    sink.done.then((run) => reject(new Error(`the sink exited early: ${run.stderr}`)), reject)
  })
  const run = runNode(['--expose-gc', path.join(FIXTURES, 'reliability-many.js'), url, file.path, MANY, CHECKPOINT], {
    timeoutMs: 170000,
  })
  const finished = run.finally(() => {
    sink.child.stdin.end()
  })
  const sinkDone = finished.then(() => sink.done)
  many = { run, sinkDone, cleanup: () => sinkDone.finally(() => file.remove()) }
})

test.after.always(() => many?.cleanup())

test('20,000 sequential uploads with listeners: RSS grows by less than 32 MiB from the 2,000th', async (t) => {
  const report = jsonLine(t, await many.run)
  const sinkRun = await many.sinkDone
  const early = report.rss[CHECKPOINT]
  const late = report.rss[MANY]
  const growth = late - early
  t.log(
    `RSS after ${CHECKPOINT}: ${(early / MiB).toFixed(1)} MiB, after ${MANY}: ${(late / MiB).toFixed(1)} MiB (+${(growth / MiB).toFixed(1)} MiB); ${report.ms} ms`,
  )
  t.deepEqual(
    JSON.parse(sinkRun.stdout.trim().split('\n').at(-1)),
    { requests: MANY },
    'the server answered every upload',
  )
  t.is(report.headers, MANY, 'every upload delivered its headers event')
  t.true(report.events >= MANY, 'every upload had at least its final progress event')
  t.true(growth < 32 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`)
})
