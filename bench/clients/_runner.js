'use strict'

// What every client runner shares. A runner is `node bench/clients/<client>.js <mode> ...` and
// defines only how its client uploads one file; this module parses argv, times the uploads,
// checks the sink's answer and prints one JSON line:
//
//   single <url> <file> [listeners]     one upload: wallMs, cpuMs (user+sys during the upload),
//                                       maxRssKiB (the whole process), progressEvents, and
//                                       sinceStartMs (process start to the parsed response:
//                                       Node's start-up and module loading included)
//   many <url> <dir> <concurrency>      every file in <dir>: uploadsPerSec, cpuMs, maxRssKiB
//   abort <url> <file> <count> <delayMs> <count> uploads one after another, each aborted
//                                       <delayMs> after it started: abort() -> rejection
//                                       latency of each, and when the sink saw the last body
//                                       byte and the socket close
//
// Wall time runs from the upload call to the parsed response; process start-up and module
// loading are outside it. The upload function a runner passes to `run` has the shape
//   upload({ url, file, size, fields, signal, id, onProgress, ca, http2 }) -> Promise<response body string>
// where `fields` are the text fields to send before the file part (field `note`, file field
// `file`), `signal` an AbortSignal (abort mode), `id` an `x-bench-id` header value (abort mode).
//
// Two environment variables set by bench/run.js for the TLS scenarios reach every upload as
// `ca` and `http2`:
//   BENCH_CA=<file>   the PEM file of the CA that signed the sink's certificate: `ca` is its text
//   BENCH_HTTP2=1     the client should use HTTP/2 (negotiated by ALPN): `http2` is true
//   BENCH_QUIC=1      the client should use HTTP/3 (upload-task's `enableQuic`): `quic` is true

const fs = require('node:fs')
const path = require('node:path')
const { performance } = require('node:perf_hooks')

const FIELDS = { note: 'upload-task benchmark' }
const FILE_FIELD = 'file'
/** What the TLS scenarios ask of a client (see the top of this file). */
const TLS = {
  ca: process.env.BENCH_CA ? fs.readFileSync(process.env.BENCH_CA, 'utf8') : undefined,
  http2: process.env.BENCH_HTTP2 === '1',
  quic: process.env.BENCH_QUIC === '1',
}

function cpuMs(since) {
  const { user, system } = process.cpuUsage(since)
  return (user + system) / 1000
}

function check(body, size) {
  let answer
  try {
    answer = JSON.parse(body)
  } catch {
    throw new Error(`sink answered ${JSON.stringify(String(body).slice(0, 200))}`)
  }
  if (answer.error) throw new Error(`sink: ${answer.error}`)
  if (!(answer.bytes > size)) throw new Error(`sink got ${answer.bytes} bytes for a ${size}-byte file`)
  return answer
}

async function single(upload, [url, file, listeners = '1'], { progress }) {
  const size = fs.statSync(file).size
  let progressEvents = 0
  const onProgress = progress && Number(listeners) > 0 ? () => progressEvents++ : null
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const body = await upload({ url, file, size, fields: FIELDS, listeners: Number(listeners), onProgress, ...TLS })
  const end = performance.now()
  const wallMs = end - t0
  const cpu = cpuMs(cpu0)
  const answer = check(body, size)
  return {
    wallMs,
    sinceStartMs: end,
    cpuMs: cpu,
    maxRssKiB: process.resourceUsage().maxRSS,
    bytes: answer.bytes,
    chunked: answer.chunked,
    sinkCpuMs: answer.sinkCpuMs,
    progressEvents: onProgress ? progressEvents : null,
  }
}

async function many(upload, [url, dir, concurrency = '64']) {
  const files = fs
    .readdirSync(dir)
    .sort()
    .map((name) => path.join(dir, name))
  const size = fs.statSync(files[0]).size
  let next = 0
  async function worker() {
    while (next < files.length) {
      const file = files[next++]
      check(await upload({ url, file, size, fields: FIELDS, onProgress: null, ...TLS }), size)
    }
  }
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: Math.min(Number(concurrency), files.length) }, worker))
  const wallMs = performance.now() - t0
  return {
    uploads: files.length,
    wallMs,
    uploadsPerSec: files.length / (wallMs / 1000),
    cpuMs: cpuMs(cpu0),
    maxRssKiB: process.resourceUsage().maxRSS,
  }
}

async function abort(upload, [url, file, count = '200', delayMs = '10']) {
  const size = fs.statSync(file).size
  const sinkUrl = new URL('/aborts', url).href
  const abortAt = {}
  const latencies = []
  let completed = 0
  const tag = `${process.pid}-${Date.now()}`
  for (let i = 0; i < Number(count); i++) {
    const id = `${tag}-${i}`
    const controller = new AbortController()
    const pending = upload({ url, file, size, fields: FIELDS, signal: controller.signal, id, onProgress: null, ...TLS })
    let t0 = 0
    const settled = pending.then(
      () => {
        completed++
      },
      (error) => {
        if (!t0) throw error // failed before abort(): a real error
        latencies.push(performance.now() - t0)
      },
    )
    await new Promise((resolve) => setTimeout(resolve, Number(delayMs)))
    abortAt[id] = performance.timeOrigin + performance.now()
    t0 = performance.now()
    controller.abort()
    await settled
  }
  await new Promise((resolve) => setTimeout(resolve, 200)) // let the sink see the last close
  const seen = await (await fetch(sinkUrl)).json()
  const ids = Object.keys(seen).filter((id) => id in abortAt)
  const closeLatencies = ids.map((id) => seen[id].closedAt - abortAt[id])
  const lastDataLatencies = ids.map((id) => seen[id].lastDataAt - abortAt[id])
  return {
    count: Number(count),
    completed,
    latencies,
    closeLatencies,
    lastDataLatencies,
    maxRssKiB: process.resourceUsage().maxRSS,
  }
}

const MODES = { single, many, abort }

/**
 * Runs the mode named in argv with this client's upload function and prints one JSON line.
 * `progress: true` says the client reports progress events (only upload-task here).
 */
function run(client, upload, { progress = false } = {}) {
  const [mode, ...args] = process.argv.slice(2)
  Promise.resolve()
    .then(() => MODES[mode](upload, args, { progress }))
    .then(
      (result) => {
        process.stdout.write(`${JSON.stringify({ client, mode, ...result })}\n`)
        process.exit(0)
      },
      (error) => {
        process.stderr.write(`${client} ${mode}: ${error?.stack || error}\n`)
        process.exit(1)
      },
    )
}

module.exports = { run, FIELDS, FILE_FIELD, TLS, check }
