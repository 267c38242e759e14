'use strict'

/**
 * The record of one received request, and the reading of its multipart body with busboy.
 */

const crypto = require('node:crypto')
const { Transform } = require('node:stream')
const { setTimeout } = require('node:timers') // Node's own: real time under fake timers
const busboy = require('busboy')
const { deferred } = require('./wait.js')

/**
 * A file part as the server received it.
 * @typedef {object} FilePart
 * @property {string} field      the form field name
 * @property {string} filename   as sent (slashes included)
 * @property {string} mimeType   the part's Content-Type
 * @property {number} bytes      content bytes received
 * @property {string|undefined} sha256  hex digest of the content, once the part ended
 */

/**
 * One received request, filled in as it arrives.
 * @typedef {object} RequestRecord
 * @property {string|null} id          the endpoint it was sent to (null: no endpoint's URL)
 * @property {string} method
 * @property {string} url              the request target, query included
 * @property {string} path             URL path without the query
 * @property {import('node:http').IncomingHttpHeaders} headers  lower-case names
 * @property {string[]} rawHeaders     names and values as sent, alternating
 * @property {number} connection       number of the connection it came on (1-based)
 * @property {Array<[string, string]>} fields  text fields in arrival order
 * @property {FilePart[]} files        file parts in arrival order
 * @property {FilePart|undefined} file the first file part
 * @property {number} bytesReceived    raw body bytes read from the socket
 * @property {boolean} completed       the whole body arrived
 * @property {boolean} closedEarly     the connection closed before the body ended
 * @property {Error|undefined} parseError  what busboy reported, if anything
 * @property {Promise<RequestRecord>} finished  resolves when the body was parsed (or rejected
 *                                     by the parser), or the connection closed early
 * @property {Promise<void>} socketClosed  resolves when the request's connection closes
 * @property {(n: number) => Promise<void>} waitForBytes  resolves once n body bytes arrived
 *                                     (or the body ended, or the connection closed)
 * @property {() => void} unthrottle   ends a `readDelayMs` pace: reads the rest at full speed
 * @property {() => void} release      sends the body held back by `holdBody`
 */

/**
 * A new record for `req`, with the controls the behaviours act on.
 * @param {import('node:http').IncomingMessage} req
 * @param {{ id: string|null, connection: number, socketClosed: Promise<void>, readDelayMs: number }} info
 * @returns {{ rec: RequestRecord, pace: { delayMs: number }, released: Promise<void>, fin: { resolve: Function } }}
 */
function createRecord(req, { id, connection, socketClosed, readDelayMs }) {
  const fin = deferred()
  const released = deferred()
  const pace = { delayMs: readDelayMs }
  const byteWaiters = []
  /** @type {RequestRecord} */
  const rec = {
    id,
    method: req.method,
    url: req.url,
    path: new URL(req.url, 'http://127.0.0.1').pathname,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    connection,
    fields: [],
    files: [],
    file: undefined,
    bytesReceived: 0,
    completed: false,
    closedEarly: false,
    parseError: undefined,
    finished: fin.promise,
    socketClosed,
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

  const wake = (all) => {
    for (let i = byteWaiters.length - 1; i >= 0; i--) {
      if (all || rec.bytesReceived >= byteWaiters[i].n) byteWaiters.splice(i, 1)[0].resolve()
    }
  }
  req.on('data', (chunk) => {
    rec.bytesReceived += chunk.length
    if (byteWaiters.length) wake(false)
  })
  req.on('end', () => {
    rec.completed = true
    wake(true)
  })
  req.on('close', () => {
    if (req.complete) return
    rec.closedEarly = true
    wake(true)
    fin.resolve(rec) // the parser never finishes a truncated body; the record is final anyway
  })
  return { rec, pace, released: released.promise, fin }
}

/** The most a slow reader passes on per `pace.delayMs`. */
const PACE_BYTES = 16 * 1024

/**
 * A Transform that passes the body on in pieces of up to 16 KiB, each after `pace.delayMs` of
 * real time: a slow reader. The socket hands over up to 64 KiB at once, so a chunk is cut into
 * pieces; once `pace.delayMs` is 0 (`unthrottle()`) the rest goes on at once.
 */
function throttle(pace) {
  return new Transform({
    highWaterMark: PACE_BYTES,
    transform(chunk, _encoding, callback) {
      const next = (rest) => {
        if (!(pace.delayMs > 0)) return callback(null, rest)
        setTimeout(() => {
          this.push(rest.subarray(0, PACE_BYTES))
          if (rest.length > PACE_BYTES) next(rest.subarray(PACE_BYTES))
          else callback()
        }, pace.delayMs)
      }
      next(chunk)
    },
  })
}

/**
 * Reads and parses the body of `req` into `rec`. Resolves once the whole body arrived and was
 * parsed (or the parser gave up on it); never when the connection closes early.
 * @param {import('node:http').IncomingMessage} req
 * @param {ReturnType<typeof createRecord>} recording
 * @returns {Promise<void>}
 */
function readBody(req, { rec, pace, fin }) {
  const ended = new Promise((resolve) => req.on('end', resolve))
  if (!hasBody(req)) {
    // A request without a body (the GET that follows a 303) has nothing to parse.
    req.resume()
    return ended.then(() => fin.resolve(rec))
  }
  const giveUp = (error) => {
    rec.parseError = error
    req.unpipe()
    req.resume()
    return ended.then(() => fin.resolve(rec))
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
    return giveUp(error)
  }
  // busboy's one `process.nextTick` (which Jest fakes) runs only when the body ends while a file
  // part is still unread; recordFile reads every part as it arrives, so the part ends first (its
  // end is queued before the request's) and that path is not taken, under fake timers included.
  let lastPart = Promise.resolve()
  const parsed = new Promise((resolve, reject) => {
    parser.on('field', (name, value) => rec.fields.push([name, value]))
    parser.on('file', (field, stream, info) => {
      lastPart = recordFile(rec, field, stream, info)
    })
    parser.on('error', reject)
    parser.on('close', () => lastPart.then(resolve))
  })
  if (pace.delayMs > 0) req.pipe(throttle(pace)).pipe(parser)
  else req.pipe(parser)
  return parsed.then(() => {
    fin.resolve(rec)
    return ended
  }, giveUp)
}

/** Whether `req` announces a body: a non-zero Content-Length, or Transfer-Encoding. */
function hasBody(req) {
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/** Hashes and counts one file part into `rec`; resolves when the part ends. */
function recordFile(rec, field, stream, info) {
  const hash = crypto.createHash('sha256')
  const part = { field, filename: info.filename, mimeType: info.mimeType, bytes: 0, sha256: undefined }
  rec.files.push(part)
  if (!rec.file) rec.file = part
  return new Promise((resolve) => {
    stream.on('data', (data) => {
      hash.update(data)
      part.bytes += data.length
    })
    stream.on('end', () => {
      part.sha256 = hash.digest('hex')
      resolve()
    })
    stream.on('error', resolve)
    stream.on('close', resolve)
  })
}

module.exports = { createRecord, readBody }
