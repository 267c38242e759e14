'use strict'

/**
 * What an endpoint does with a request: the scriptable answers of the test server.
 */

const { validateHeaderName, validateHeaderValue } = require('node:http')

/**
 * How an endpoint answers. Every option is optional; `{}` reads the whole body, then answers
 * 200 with a JSON summary of the record: `{ id, fields, file, bytesReceived }`.
 * @typedef {object} Behaviour
 * @property {number} [status=200]     status code of the answer
 * @property {Record<string, string|string[]>|Array<[string, string]>} [headers]  response
 *   headers; an array of pairs keeps order and repeats. Content-Length is added unless given.
 * @property {string|Buffer} [body]    response body (default: the JSON summary, with
 *   Content-Type application/json)
 * @property {number} [delayMs=0]      answer this long after the body was read
 * @property {boolean} [respond=true]  false: read the body, never answer
 * @property {boolean} [reset=false]   destroy the connection as soon as the request arrives
 * @property {number} [readDelayMs=0]  read slowly: pause this long per chunk (up to 16 KiB),
 *   so TCP backpressure holds the client mid-body; `record.unthrottle()` ends it
 * @property {boolean} [holdBody=false]  send the status line and headers, and the body only
 *   when the test calls `record.release()`
 */

const DEFAULTS = Object.freeze({
  status: 200,
  headers: undefined,
  body: undefined,
  delayMs: 0,
  respond: true,
  reset: false,
  readDelayMs: 0,
  holdBody: false,
})

/**
 * Checks `options` and fills in the defaults; throws a TypeError on an unknown option or a
 * header Node would refuse to send, so that mistakes show where the endpoint is made.
 * @param {Behaviour} [options]
 * @returns {Required<Behaviour>}
 */
function behaviour(options = {}) {
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULTS)) throw new TypeError(`unknown endpoint option ${JSON.stringify(key)}`)
  }
  const b = { ...DEFAULTS, ...options }
  const list = headerList(b.headers, Buffer.alloc(0))
  for (let i = 0; i < list.length; i += 2) {
    validateHeaderName(list[i])
    validateHeaderValue(list[i], list[i + 1])
  }
  return b
}

/** The default response body: what the server recorded, as JSON. */
function summary(rec) {
  return JSON.stringify({ id: rec.id, fields: rec.fields, file: rec.file, bytesReceived: rec.bytesReceived })
}

/** `headers` as a flat [name, value, ...] list, with Content-Length (and a default type) added. */
function headerList(headers, body, defaultType) {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers ?? {})
  const list = []
  for (const [name, value] of pairs) {
    for (const v of Array.isArray(value) ? value : [value]) list.push(name, String(v))
  }
  const has = (name) => list.some((item, i) => i % 2 === 0 && item.toLowerCase() === name)
  if (defaultType && !has('content-type')) list.push('Content-Type', defaultType)
  if (!has('content-length') && !has('transfer-encoding')) list.push('Content-Length', String(body.length))
  return list
}

/**
 * Answers `rec` on `res` as `b` says, once its body was read.
 * @param {import('node:http').ServerResponse} res
 * @param {import('./record.js').RequestRecord} rec
 * @param {Required<Behaviour>} b
 * @param {{ released: Promise<void>, later: (ms: number, fn: () => void) => void }} hooks
 */
function answer(res, rec, b, { released, later }) {
  if (!b.respond) return
  later(b.delayMs, () => {
    if (res.headersSent || res.destroyed) return
    if (rec.parseError) {
      const body = Buffer.from(`bad multipart body: ${rec.parseError.message}`)
      res.writeHead(400, headerList({ 'Content-Type': 'text/plain' }, body))
      res.end(body)
      return
    }
    const body = Buffer.from(b.body ?? summary(rec))
    res.writeHead(b.status, headerList(b.headers, body, b.body === undefined && 'application/json'))
    if (!b.holdBody) {
      res.end(body)
      return
    }
    res.flushHeaders()
    released.then(() => res.end(body))
  })
}

module.exports = { behaviour, answer, summary }
