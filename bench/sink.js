'use strict'

// The sink: a node:http server on 127.0.0.1 that reads request bodies as fast as it can, throws
// them away and answers {"bytes": n}. Run as its own process by bench/run.js; it prints
// `listening <port>` once ready.
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
// Every upload response also carries the sink's own CPU time (ms) spent on that request, so the
// harness can show whether the sink was busy or idle.

const http = require('node:http')
const { performance } = require('node:perf_hooks')

const HEAD_CHECK = 4096
const MUST_CONTAIN = ['name="note"', 'name="file"']
const now = () => performance.timeOrigin + performance.now() // epoch ms, sub-ms precision

const aborted = {} // x-bench-id -> { bytes, closedAt }

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/aborts') {
    const body = JSON.stringify(aborted)
    for (const id of Object.keys(aborted)) delete aborted[id]
    res.setHeader('content-type', 'application/json')
    res.end(body)
    return
  }
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
})

// Uploads of several GiB from slow clients must not be cut by Node's default server timeouts.
server.requestTimeout = 0
server.headersTimeout = 60_000
server.keepAliveTimeout = 60_000
server.maxRequestsPerSocket = 0

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`)
})
process.on('SIGTERM', () => process.exit(0))
