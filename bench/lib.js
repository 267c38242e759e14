'use strict'

// Helpers of the benchmark harness: statistics, data files, child processes (the sink and the
// client runners), and Markdown tables.

const fs = require('node:fs')
const path = require('node:path')
const crypto = require('node:crypto')
const http = require('node:http')
const https = require('node:https')
const { spawn, execFileSync } = require('node:child_process')
const { createCertificates } = require('../testing/tls.js')

// ---- statistics -------------------------------------------------------------------------------

function sorted(xs) {
  return xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
}

function median(xs) {
  const s = sorted(xs)
  if (s.length === 0) return NaN
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Nearest-rank percentile, p in 0..100. */
function percentile(xs, p) {
  const s = sorted(xs)
  if (s.length === 0) return NaN
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}

// ---- data files -------------------------------------------------------------------------------

/** A file of `size` random bytes at `file`, written once and reused while its size matches. */
function ensureFile(file, size) {
  if (fs.existsSync(file) && fs.statSync(file).size === size) return file
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.partial`
  const fd = fs.openSync(tmp, 'w')
  const block = Buffer.allocUnsafe(Math.min(size, 8 << 20))
  for (let left = size; left > 0; left -= block.length) {
    crypto.randomFillSync(block)
    fs.writeSync(fd, block, 0, Math.min(left, block.length))
  }
  fs.closeSync(fd)
  fs.renameSync(tmp, file)
  return file
}

/** A directory of `count` random files of `size` bytes each. */
function ensureSmallFiles(dir, count, size) {
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : []
  const ok = names.length === count && names.every((n) => fs.statSync(path.join(dir, n)).size === size)
  if (ok) return dir
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  for (let i = 0; i < count; i++) {
    fs.writeFileSync(path.join(dir, `f${String(i).padStart(5, '0')}.bin`), crypto.randomBytes(size))
  }
  return dir
}

// ---- processes --------------------------------------------------------------------------------

/**
 * Starts bench/sink.js in its own process: `kind` 'http' (node:http), 'http-silent' (node:http
 * that sends no `100 Continue`), 'https' (node:https) or
 * 'h2' (node:http2 secure server, HTTP/1.1 allowed), the TLS ones with the certificate files of
 * `tls` (see tlsFiles). Resolves with its upload URL, its pid and a `stop()`.
 */
function startSink(kind = 'http', tls = null) {
  return new Promise((resolve, reject) => {
    const args = [path.join(__dirname, 'sink.js'), '0', kind, ...(tls ? [tls.certFile, tls.keyFile] : [])]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`sink exited with ${code}`)))
    child.stdout.on('data', (d) => {
      out += d
      const m = /listening (\d+)/.exec(out)
      if (m) {
        child.stdout.removeAllListeners('data')
        child.removeAllListeners('exit')
        resolve({
          url: `${kind.startsWith('http') && !kind.startsWith('https') ? 'http' : 'https'}://127.0.0.1:${m[1]}/upload`,
          kind,
          ca: tls?.ca,
          pid: child.pid,
          stop: () => child.kill('SIGTERM'),
        })
      }
    })
  })
}

const H3_SINK_DIR = path.join(__dirname, 'h3-sink')
const H3_SINK_BIN = path.join(H3_SINK_DIR, 'target', 'release', 'h3-sink')

/**
 * The binary of bench/h3-sink (a Rust HTTP/3 receiver, its own cargo package), built with
 * `cargo build --release --offline` when missing. Throws with cargo's exit status and the
 * command to run by hand when it cannot be built.
 * @returns {string}
 */
function h3SinkBinary() {
  if (fs.existsSync(H3_SINK_BIN)) return H3_SINK_BIN
  const manifest = path.join(H3_SINK_DIR, 'Cargo.toml')
  const args = [
    'build',
    '--release',
    '--offline',
    '--manifest-path',
    manifest,
    '--target-dir',
    path.join(H3_SINK_DIR, 'target'),
  ]
  process.stderr.write(`building the HTTP/3 sink: cargo ${args.join(' ')}\n`)
  try {
    execFileSync('cargo', args, { stdio: ['ignore', 'inherit', 'inherit'] })
  } catch (e) {
    throw new Error(
      `could not build bench/h3-sink (cargo ${e.status ?? e.code}); run \`cargo ${args.join(' ')}\` to see why, or set BENCH_H3_SINK=python`,
    )
  }
  return H3_SINK_BIN
}

/**
 * Starts the HTTP/3 sink of bench/h3-sink with the certificate files of `tls` (see tlsFiles):
 * it counts each body and answers `{"bytes", "httpVersion", "sinkCpuMs"}` like bench/sink.js.
 * Resolves with its upload URL, its pid and a `stop()` that waits for its exit.
 * @param {{ certFile: string, keyFile: string }} tls
 * @returns {Promise<{ url: string, pid: number, stop: () => Promise<void> }>}
 */
function startH3Sink(tls) {
  const child = spawn(h3SinkBinary(), [tls.certFile, tls.keyFile], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return new Promise((resolve, reject) => {
    let out = ''
    child.on('error', reject)
    child.once('exit', (code) => reject(new Error(`the HTTP/3 sink exited with ${code} before it was ready`)))
    child.stdout.on('data', (d) => {
      out += d
      const line = out.split('\n').find((l) => l.includes('"ready"'))
      if (!line) return
      child.stdout.removeAllListeners('data')
      child.stdout.resume()
      const stop = async () => {
        child.kill('SIGTERM')
        await exited
      }
      resolve({ url: `https://127.0.0.1:${JSON.parse(line).port}/upload`, pid: child.pid, stop })
    })
  })
}

/**
 * What a sink saw since the last call (then it forgets): uploads by HTTP version and the
 * connections (HTTP/2 sessions or HTTP/1.1 sockets) that carried them. See bench/sink.js.
 * @returns {Promise<{ h1Requests: number, h2Requests: number, connections: number, h2Sessions: number }>}
 */
function sinkStats(sink) {
  const client = sink.kind === 'http' ? http : https
  return new Promise((resolve, reject) => {
    const req = client.get(new URL('/stats', sink.url), { ca: sink.ca, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve(JSON.parse(body)))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
}

/**
 * A fresh CA and a server certificate for 127.0.0.1 signed by it (testing/tls.js, made with the
 * `openssl` command), written as PEM files into `dir` for the sink and for curl's --cacert.
 * @returns {Promise<{ ca: string, caFile: string, certFile: string, keyFile: string }>}
 */
async function tlsFiles(dir) {
  const { ca, cert, key } = await createCertificates()
  fs.mkdirSync(dir, { recursive: true })
  const write = (name, text) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, text, { mode: 0o600 })
    return file
  }
  return { ca, caFile: write('ca.pem', ca), certFile: write('server.pem', cert), keyFile: write('server.key', key) }
}

/** Whether `command --version` runs. */
function have(command) {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * Runs `node bench/clients/<client>.js ...args` (or `python3 bench/clients/<client>.py ...args`)
 * with `env` added to the environment (BENCH_CA, BENCH_HTTP2: see clients/_runner.js) and
 * resolves with the JSON line it prints, or `{ error }` when it fails or runs past `timeoutMs`.
 */
function runClient(client, args, timeoutMs = 300_000, env = {}) {
  return new Promise((resolve) => {
    const js = path.join(__dirname, 'clients', `${client}.js`)
    const [command, script] = fs.existsSync(js) ? [process.execPath, js] : ['python3', js.replace(/\.js$/, '.py')]
    const child = spawn(command, [script, ...args.map(String)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = out.trim().split('\n').pop()
      if (code === 0 && line) {
        try {
          return resolve(JSON.parse(line))
        } catch {}
      }
      const why = signal ? `killed by ${signal}` : `exit ${code}`
      resolve({ error: `${why}: ${(err.trim().split('\n')[0] || out.trim()).slice(0, 300)}` })
    })
  })
}

/** Busy fraction of all CPUs over `ms`, from /proc/stat (null where there is none). */
async function cpuBusy(ms) {
  const read = () => {
    try {
      const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
      const idle = f[3] + (f[4] || 0)
      return { idle, total: f.reduce((a, b) => a + b, 0) }
    } catch {
      return null
    }
  }
  const a = read()
  await new Promise((r) => setTimeout(r, ms))
  const b = read()
  if (!a || !b || b.total === a.total) return null
  return 1 - (b.idle - a.idle) / (b.total - a.total)
}

/**
 * Waits (up to `maxMs`) until the machine is quiet, so another program's burst does not land in
 * a measurement. Resolves with true when it was quiet, false when it gave up.
 */
async function waitQuiet(maxMs = 20_000, threshold = 0.15) {
  const until = Date.now() + maxMs
  for (;;) {
    const busy = await cpuBusy(250)
    if (busy === null || busy < threshold) return true
    if (Date.now() > until) return false
  }
}

// ---- formatting -------------------------------------------------------------------------------

function table(columns, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(columns), line(columns.map(() => '---')), ...rows.map(line)].join('\n')
}

const fixed = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '–')
const ratio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–')
const mib = (kib) => fixed(kib / 1024, 1)

module.exports = {
  median,
  percentile,
  ensureFile,
  ensureSmallFiles,
  startSink,
  startH3Sink,
  sinkStats,
  tlsFiles,
  runClient,
  have,
  cpuBusy,
  waitQuiet,
  table,
  fixed,
  ratio,
  mib,
}
