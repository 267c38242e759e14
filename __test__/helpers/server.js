'use strict'

/**
 * Test helpers: a real multipart HTTP server on 127.0.0.1 that records what it actually
 * received, temp files with random content, streaming SHA-256, and a bounded wait.
 *
 * Every request is identified by the `id` query parameter of its URL (`server.endpoint()` makes
 * a fresh one), so tests that run concurrently against one server never read each other's
 * records.
 *
 * Modes, by URL path:
 *   /ok            reads the body, answers 200 with a JSON summary of the record
 *   /status/<n>    reads the body, answers <n> with a UTF-8 text body, two Set-Cookie headers,
 *                  a repeated `X-Repeat` header and a mixed-case `X-Custom-Case` header
 *   /hang          reads the body, never answers
 *   /slow          reads the body slowly (a throttle between the socket and the parser, so
 *                  TCP backpressure holds the client mid-body), then answers 200
 *   /delay/<ms>    reads the body, answers 200 <ms> milliseconds later
 *   /reset         destroys the connection as soon as the request arrives
 *   /headers-first reads the body, sends the status line and headers of a 200, and sends the
 *                  response body only when the test calls `record.release()`
 */

const crypto = require('node:crypto')
const fs = require('node:fs')
const fsp = require('node:fs/promises')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')
const { Transform } = require('node:stream')
const { EventEmitter } = require('node:events')
const busboy = require('busboy')

let nextId = 1
const kClosed = Symbol('closed') // a socket's promise of its 'close'

/** Body text of the /status/<n> answers (non-ASCII on purpose: `data` must be decoded as UTF-8). */
function statusBody(status) {
  return `status ${status} – grüße ✓`
}

/** A promise plus its resolve function. */
function deferred() {
  let resolve
  const promise = new Promise((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Waits at most `ms` for `promise`; rejects with a message naming `what` otherwise. */
function within(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** A Transform that passes chunks on after `pace.delayMs` each: a slow reader. */
function throttle(pace) {
  return new Transform({
    highWaterMark: 16 * 1024,
    transform(chunk, _encoding, callback) {
      if (pace.delayMs > 0) setTimeout(() => callback(null, chunk), pace.delayMs)
      else callback(null, chunk)
    },
  })
}

/**
 * One received request, filled in as it arrives.
 * @typedef {object} RequestRecord
 * @property {string|null} id          the `id` query parameter
 * @property {string} method
 * @property {string} path             URL path without the query
 * @property {object} headers          Node's `req.headers` (lower-case names)
 * @property {string[]} rawHeaders
 * @property {number} connection       number of the TCP connection it came on (1-based)
 * @property {Array<[string, string]>} fields  text fields in arrival order
 * @property {Array<object>} files     file parts: { field, filename, mimeType, bytes, sha256 }
 * @property {object|undefined} file   the first file part
 * @property {number} bytesReceived    raw body bytes read from the socket
 * @property {boolean} completed       the whole body arrived ('end')
 * @property {boolean} closedEarly     the connection closed before the body ended
 * @property {Error|undefined} parseError  what busboy reported, if anything
 * @property {Promise<RequestRecord>} finished  resolves when the body was fully parsed or the
 *                                     connection closed early
 * @property {Promise<void>} socketClosed  resolves when the request's TCP connection closes
 * @property {(n: number) => Promise<void>} waitForBytes  resolves once n body bytes arrived
 *                                     (or the body ended or the connection closed)
 * @property {() => void} unthrottle   /slow only: read the rest of the body at full speed
 * @property {() => void} release      /headers-first only: send the response body
 */

/**
 * Starts a recording server on 127.0.0.1, port 0.
 * @param {{ keepAliveTimeout?: number, slowDelayMs?: number }} [options]
 */
async function startServer(options = {}) {
  const { keepAliveTimeout = 60000, slowDelayMs = 20 } = options
  const events = new EventEmitter()
  events.setMaxListeners(0)
  const records = []
  const sockets = new Set()
  const timers = new Set()
  let connections = 0

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    const fin = deferred()
    const byteWaiters = []
    const pace = { delayMs: slowDelayMs }
    const released = deferred() // /headers-first: the moment to send the body
    const file = { done: Promise.resolve() } // the current file part's end
    /** @type {RequestRecord} */
    const rec = {
      id: url.searchParams.get('id'),
      method: req.method,
      path: url.pathname,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      connection: req.socket.connectionNumber,
      fields: [],
      files: [],
      file: undefined,
      bytesReceived: 0,
      completed: false,
      closedEarly: false,
      parseError: undefined,
      finished: fin.promise,
      socketClosed: req.socket[kClosed],
      waitForBytes(n) {
        if (rec.bytesReceived >= n || rec.closedEarly || rec.completed) return Promise.resolve()
        const d = deferred()
        byteWaiters.push({ n, resolve: d.resolve })
        return d.promise
      },
      unthrottle() {
        pace.delayMs = 0
      },
      release() {
        released.resolve()
      },
    }
    records.push(rec)
    events.emit('request', rec)

    const releaseByteWaiters = (all) => {
      for (let i = byteWaiters.length - 1; i >= 0; i--) {
        if (all || rec.bytesReceived >= byteWaiters[i].n) {
          byteWaiters[i].resolve()
          byteWaiters.splice(i, 1)
        }
      }
    }

    req.on('data', (chunk) => {
      rec.bytesReceived += chunk.length
      if (byteWaiters.length) releaseByteWaiters(false)
    })
    req.on('end', () => {
      rec.completed = true
    })
    req.on('close', () => {
      if (!req.complete) {
        rec.closedEarly = true
        releaseByteWaiters(true)
        // The parser never finishes a truncated body; the record is final anyway.
        fin.resolve(rec)
      }
    })

    if (rec.path === '/reset') {
      // Drops the connection without a response.
      req.socket.destroy()
      return
    }

    let parser
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        preservePath: true, // report file names as sent, slashes included
        limits: { fieldNameSize: 10000, fieldSize: 10 * 1024 * 1024 },
      })
    } catch (error) {
      rec.parseError = error
      req.resume()
      req.on('end', () => {
        fin.resolve(rec)
        respond()
      })
      return
    }

    parser.on('field', (name, value) => {
      rec.fields.push([name, value])
    })
    parser.on('file', (field, stream, info) => {
      const hash = crypto.createHash('sha256')
      const part = { field, filename: info.filename, mimeType: info.mimeType, bytes: 0, sha256: undefined }
      rec.files.push(part)
      if (!rec.file) rec.file = part
      const done = deferred()
      file.done = done.promise
      stream.on('data', (data) => {
        hash.update(data)
        part.bytes += data.length
      })
      stream.on('end', () => {
        part.sha256 = hash.digest('hex')
        done.resolve()
      })
      stream.on('error', () => done.resolve())
      stream.on('close', () => done.resolve())
    })
    parser.on('error', (error) => {
      rec.parseError = error
      req.unpipe()
      req.resume()
      const done = () => {
        fin.resolve(rec)
        respond()
      }
      if (rec.completed) done()
      else req.on('end', done)
    })
    parser.on('close', () => {
      file.done.then(() => {
        fin.resolve(rec)
        if (rec.completed) respond()
      })
    })

    if (rec.path === '/slow') req.pipe(throttle(pace)).pipe(parser)
    else req.pipe(parser)

    function respond() {
      if (res.headersSent || res.destroyed) return
      const mode = rec.path.split('/')[1]
      if (mode === 'hang') return
      if (rec.parseError) {
        res.writeHead(400, { 'Content-Type': 'text/plain' })
        res.end(`bad multipart body: ${rec.parseError.message}`)
        return
      }
      if (mode === 'status') {
        const status = Number(rec.path.split('/')[2])
        const body = Buffer.from(statusBody(status))
        res.writeHead(status, [
          ['Content-Type', 'text/plain; charset=utf-8'],
          ['Content-Length', String(body.length)],
          ['Set-Cookie', 'a=1; Path=/'],
          ['X-Repeat', 'first'],
          ['Set-Cookie', 'b=2; HttpOnly'],
          ['X-Repeat', 'second'],
          ['X-Custom-Case', 'Value'],
          ['X-Latin1', 'café'], // sent as the Latin-1 byte 0xE9
        ])
        res.end(body)
        return
      }
      if (mode === 'headers-first') {
        const body = Buffer.from('the body, sent after release()')
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(body.length) })
        res.flushHeaders()
        released.promise.then(() => res.end(body))
        return
      }
      const summary = () => {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(
          JSON.stringify({
            id: rec.id,
            fields: rec.fields,
            file: rec.file,
            bytesReceived: rec.bytesReceived,
          }),
        )
      }
      if (mode === 'delay') {
        const timer = setTimeout(() => {
          timers.delete(timer)
          summary()
        }, Number(rec.path.split('/')[2]))
        timers.add(timer)
        return
      }
      summary()
    }
  })

  server.keepAliveTimeout = keepAliveTimeout
  server.on('connection', (socket) => {
    connections++
    socket.connectionNumber = connections
    sockets.add(socket)
    socket[kClosed] = new Promise((resolve) => {
      socket.on('close', () => {
        sockets.delete(socket)
        resolve()
      })
    })
  })

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  const origin = `http://127.0.0.1:${port}`

  return {
    port,
    origin,
    records,
    /** Number of TCP connections accepted so far. */
    get connections() {
      return connections
    },
    /** A URL to `path` with the given (or a fresh) `id`. */
    url(urlPath, id = String(nextId++)) {
      return `${origin}${urlPath}${urlPath.includes('?') ? '&' : '?'}id=${encodeURIComponent(id)}`
    },
    /**
     * A fresh endpoint: `{ id, url, arrived, received }`. `arrived` resolves with the record as
     * soon as the request's headers arrive; `received()` once the body was parsed or the
     * connection closed early.
     */
    endpoint(urlPath) {
      const id = `${urlPath.replace(/\W+/g, '-')}-${nextId++}`
      const arrived = this.request(id)
      return {
        id,
        url: this.url(urlPath, id),
        arrived,
        received: () => arrived.then((rec) => rec.finished),
      }
    },
    /** The record of the request with this id, once it arrives. */
    request(id) {
      const found = records.find((r) => r.id === id)
      if (found) return Promise.resolve(found)
      return new Promise((resolve) => {
        const onRequest = (rec) => {
          if (rec.id !== id) return
          events.off('request', onRequest)
          resolve(rec)
        }
        events.on('request', onRequest)
      })
    },
    /** Every record with this id (none when the request never arrived). */
    recordsFor(id) {
      return records.filter((r) => r.id === id)
    },
    /** Closes the keep-alive connections that carry no request right now. */
    closeIdleConnections() {
      server.closeIdleConnections()
    },
    /** Stops the server and closes every connection. */
    async close() {
      for (const timer of timers) clearTimeout(timer)
      const closed = new Promise((resolve) => server.close(resolve))
      server.closeAllConnections()
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}

/**
 * Creates a temp file of `size` bytes of random content in its own directory under
 * os.tmpdir(), hashing it while writing. Content is random 1 MiB blocks; above `randomUpTo`
 * bytes, one random block is repeated with each copy stamped with its index (still unique per
 * MiB, so reordered or repeated chunks change the hash).
 * @returns {Promise<{ path: string, dir: string, size: number, sha256: string, remove(): Promise<void> }>}
 */
async function makeTempFile(size, { name = 'upload.bin', randomUpTo = 64 * 1024 * 1024 } = {}) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'upload-task-test-'))
  const filePath = path.join(dir, name)
  const hash = crypto.createHash('sha256')
  const handle = await fsp.open(filePath, 'w')
  const BLOCK = 1024 * 1024
  const base = crypto.randomBytes(BLOCK)
  try {
    for (let offset = 0, index = 0; offset < size; offset += BLOCK, index++) {
      const length = Math.min(BLOCK, size - offset)
      let block
      if (size <= randomUpTo) {
        block = crypto.randomBytes(length)
      } else {
        block = Buffer.from(base.subarray(0, length))
        if (length >= 8) block.writeBigUInt64LE(BigInt(index), 0)
      }
      hash.update(block)
      await handle.write(block, 0, length)
    }
  } finally {
    await handle.close()
  }
  return {
    path: filePath,
    dir,
    size,
    sha256: hash.digest('hex'),
    remove: () => fsp.rm(dir, { recursive: true, force: true }),
  }
}

/** SHA-256 of a file, streamed. */
function sha256File(filePath) {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256')
    fs.createReadStream(filePath)
      .on('error', reject)
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve(hash.digest('hex')))
  })
}

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
async function closedPort() {
  const probe = http.createServer()
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  return port
}

module.exports = { startServer, makeTempFile, sha256File, closedPort, within, deferred, statusBody }
