'use strict'

// The sink: a server on 127.0.0.1 that reads request bodies as fast as it can, throws them away
// and answers {"bytes": n}. Run as its own process by bench/run.js; it prints `listening <port>`
// once ready.
//
//   node sink.js [port] [kind] [cert.pem key.pem]
//     kind http   node:http (the default; answers `Expect: 100-continue` with `100 Continue`,
//                 as node:http does)
//          http-silent  node:http that ignores `Expect`: no `100 Continue`, the body is read
//                 whenever the client sends it
//          https  node:https with the given certificate (HTTP/1.1 only: no ALPN offered)
//          h2     node:http2 secure server with the given certificate, allowHTTP1: true (ALPN
//                 h2 and http/1.1)
//
// It checks, cheaply, that what arrived is the upload it should be, so that a client that sends
// nothing cannot look fast: the byte count must equal Content-Length (when one was sent), and
// the first bytes of the body must hold both multipart fields (`name="note"` and `name="file"`).
// A failed check answers 400 with the reason.
//
// Routes:
//   POST /upload        the normal sink
//   GET  /aborts        what happened to requests that carried an `x-bench-id` header and were
//                       cut short: { id: { bytes, lastDataAt, closedAt } } (epoch ms), then
//                       forgets them
//   GET  /stats         what arrived since the last /stats: { h1Requests, h2Requests,
//                       connections, h2Sessions, accepted, maxInFlight }: uploads by HTTP
//                       version (req.httpVersion '1.1' or '2.0'), the distinct connections
//                       (HTTP/2 sessions or HTTP/1.1 sockets) that carried them, the TCP
//                       connections accepted (those that carried nothing included; the one of
//                       this /stats request left out), and the most uploads under way at once;
//                       then forgets them
// Every upload response also carries the sink's own CPU time (ms) spent on that request, so the
// harness can show whether the sink was busy or idle.

const fs = require('node:fs')
const http = require('node:http')
const http2 = require('node:http2')
const https = require('node:https')
const { performance } = require('node:perf_hooks')

const HEAD_CHECK = 4096
const MUST_CONTAIN = ['name="note"', 'name="file"']
const now = () => performance.timeOrigin + performance.now() // epoch ms, sub-ms precision

const aborted = {} // x-bench-id -> { bytes, closedAt }

let stats // uploads since the last GET /stats
let seen // the connections (HTTP/2 session or socket) they came on
let inFlight = 0 // uploads under way now
function resetStats() {
  stats = { h1Requests: 0, h2Requests: 0, connections: 0, h2Sessions: 0, accepted: 0, maxInFlight: inFlight }
  seen = new WeakSet()
}
resetStats()

/** Counts an upload request by its HTTP version and the connection it came on. */
function count(req, res) {
  const session = req.stream?.session // HTTP/2 (compatibility API) only
  if (req.httpVersion === '2.0') stats.h2Requests++
  else stats.h1Requests++
  stats.maxInFlight = Math.max(stats.maxInFlight, ++inFlight)
  res.once('close', () => inFlight--)
  const connection = session || req.socket
  if (seen.has(connection)) return
  seen.add(connection)
  stats.connections++
  if (session) stats.h2Sessions++
}

/** Answers `value` as JSON. */
function json(res, value) {
  const body = JSON.stringify(value)
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function handle(req, res) {
  if (req.method === 'GET' && req.url === '/aborts') {
    json(res, { ...aborted })
    for (const id of Object.keys(aborted)) delete aborted[id]
    return
  }
  if (req.method === 'GET' && req.url === '/stats') {
    stats.accepted-- // this request's own connection (clients ask with a fresh one)
    json(res, stats)
    resetStats()
    return
  }
  count(req, res)
  const cpu0 = process.cpuUsage()
  const id = req.headers['x-bench-id']
  const declared = req.headers['content-length'] === undefined ? -1 : Number(req.headers['content-length'])
  let bytes = 0
  let head = [] // the first HEAD_CHECK bytes, then null
  let headLen = 0
  let start = ''
  let done = false
  let lastDataAt = 0
  req.on('data', (chunk) => {
    bytes += chunk.length
    if (id) lastDataAt = now()
    if (head === null) return
    head.push(chunk)
    headLen += chunk.length
    if (headLen >= HEAD_CHECK) {
      start = Buffer.concat(head).toString('latin1', 0, HEAD_CHECK)
      head = null
    }
  })
  req.on('end', () => {
    done = true
    if (head !== null) start = Buffer.concat(head).toString('latin1')
    let error = null
    if (declared >= 0 && declared !== bytes) error = `content-length ${declared} but ${bytes} bytes arrived`
    else if (!MUST_CONTAIN.every((s) => start.includes(s)))
      error = `multipart fields missing in the first ${HEAD_CHECK} bytes`
    const cpu = process.cpuUsage(cpu0)
    const body = JSON.stringify({
      bytes,
      chunked: declared < 0,
      sinkCpuMs: (cpu.user + cpu.system) / 1000,
      ...(error ? { error } : {}),
    })
    res.writeHead(error ? 400 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
  req.on('close', () => {
    if (!done && id) aborted[id] = { bytes, lastDataAt, closedAt: now() }
  })
}

/** The server of `kind` (see the top of this file). */
function createServer(kind, certFile, keyFile) {
  if (kind === 'http') return http.createServer(handle)
  if (kind === 'http-silent') return http.createServer(handle).on('checkContinue', handle)
  const tls = { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }
  if (kind === 'https') return https.createServer(tls, handle)
  if (kind === 'h2') return http2.createSecureServer({ ...tls, allowHTTP1: true }, handle)
  throw new Error(`unknown sink kind ${kind}; known: http, http-silent, https, h2`)
}

const [port = '0', kind = 'http', certFile, keyFile] = process.argv.slice(2)
const server = createServer(kind, certFile, keyFile)
server.on('connection', () => stats.accepted++)

// Uploads of several GiB from slow clients must not be cut by Node's default server timeouts.
server.setTimeout(0)
server.requestTimeout = 0
server.headersTimeout = 60_000
server.keepAliveTimeout = 60_000
server.maxRequestsPerSocket = 0

server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`)
})
process.on('SIGTERM', () => process.exit(0))
