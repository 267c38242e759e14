'use strict'

// The upload-task benchmark: `npm run bench` (= `node bench/run.js`). Not a test; CI does not
// run it. It starts the sink (bench/sink.js) in its own process, then runs every measurement in
// a fresh child process (bench/clients/<client>.js), rounds interleaved (A B C, B C A, …), and
// writes the tables to bench/RESULTS.md.
//
// Options (flag or environment variable):
//   --quick        BENCH_QUICK=1     small sizes, 1 run: a smoke test of the harness
//   --runs=N       BENCH_RUNS=N      rounds per scenario (default 5)
//   --only=a,b     BENCH_ONLY=a,b    scenarios: big, memory, small, abort, progress, https, h2small,
//                                    coldtls, h3 (needs python3: __test__/helpers/h3_server.py)
//   --quiet-wait=MS BENCH_QUIET_WAIT=MS  how long each measurement waits for an idle machine
//                                    (default 20000; 0 on a machine that is never idle)
//   --clients=a,b  BENCH_CLIENTS=a,b  only these client runners (file names in bench/clients/)
//   --sink=KIND    BENCH_SINK=KIND   the plain-HTTP sink of the non-TLS scenarios: http (the
//                                    default, answers `100 Continue`) or http-silent (ignores
//                                    `Expect`: an upload that sends it waits its 1 s)
//   --out=FILE     BENCH_OUT=FILE    where to write the report. Default: bench/RESULTS.md for a
//                                    full run, bench/data/RESULTS-partial.md otherwise
// Data files are made once in bench/data/ (gitignored) and reused; delete the folder to free
// the space (about 5.5 GiB). The TLS scenarios (https, h2small) generate a CA and a server
// certificate at every run (testing/tls.js, with the `openssl` command) into bench/data/tls/;
// so does coldtls (fresh processes, one 16 KiB HTTPS upload each).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const {
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
  waitQuiet,
  table,
  fixed,
  ratio,
  mib,
} = require('./lib')

const MiB = 1 << 20
const GiB = 1 << 30

// ---- options ----------------------------------------------------------------------------------

const flags = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=')
    return [k, v === undefined ? '1' : v]
  }),
)
const opt = (flag, env) => flags[flag] ?? process.env[env]
const QUICK = opt('quick', 'BENCH_QUICK') === '1'
const RUNS = Number(opt('runs', 'BENCH_RUNS') || (QUICK ? 1 : 5))
const SINK = opt('sink', 'BENCH_SINK') || 'http'
const H3_SINK = opt('h3-sink', 'BENCH_H3_SINK') || 'rust'

const ALL = ['big', 'memory', 'small', 'abort', 'progress', 'https', 'h2small', 'coldtls', 'h3']
const TLS_SCENARIOS = ['https', 'h2small', 'coldtls', 'h3']
const ONLY = (opt('only', 'BENCH_ONLY') || ALL.join(',')).split(',').filter(Boolean)
for (const s of ONLY) if (!ALL.includes(s)) throw new Error(`unknown scenario ${s}; known: ${ALL.join(', ')}`)
const CLIENTS = opt('clients', 'BENCH_CLIENTS')?.split(',')
const FULL = !QUICK && RUNS >= 5 && ALL.every((s) => ONLY.includes(s)) && !CLIENTS
/** The clients of a scenario, less those left out by --clients (upload-task always stays). */
const pick = (list) => list.filter((c) => !CLIENTS || c === 'upload-task' || CLIENTS.includes(c))
/** Another checkout of upload-task (its addon built), measured beside this one in `big`. */
const BASELINE = opt('baseline', 'BENCH_BASELINE')
if (BASELINE) process.env.BENCH_BASELINE = path.resolve(BASELINE) // read by clients/upload-task-baseline.js
const QUIET_WAIT = Number(opt('quiet-wait', 'BENCH_QUIET_WAIT') ?? 20_000)
const OUT = opt('out', 'BENCH_OUT') || path.join(__dirname, FULL ? 'RESULTS.md' : 'data/RESULTS-partial.md')

const SIZE = {
  big: QUICK ? 64 * MiB : GiB,
  memory: QUICK ? [16 * MiB, 128 * MiB] : [256 * MiB, 4 * GiB],
  smallCount: QUICK ? 200 : 2000,
  smallSize: 16 * 1024,
  concurrency: 64,
  aborts: QUICK ? 20 : 200,
  abortDelayMs: 10,
  h2Count: QUICK ? 200 : 1000,
  h2Concurrency: 16,
  coldProcesses: QUICK ? 3 : 4 * RUNS,
}
const DATA = path.join(__dirname, 'data')
const WARM = path.join(DATA, `random-${64 * MiB}.bin`) // the warm-up upload of every sink
const sizeName = (n) => (n >= GiB ? `${n / GiB} GiB` : `${n / MiB} MiB`)

// Client runners (bench/clients/<file>.js) and their names in the tables.
const NAMES = {
  'upload-task': 'upload-task',
  'upload-task-baseline': 'upload-task, --baseline build',
  'raw-socket': 'raw socket, Node (baseline)',
  'raw-socket-py': 'raw socket, Python (baseline)',
  'http-tuned': 'node:http tuned',
  got: 'got + form-data',
  axios: 'axios + form-data',
  'axios-nr': 'axios + form-data, maxRedirects 0',
  undici: 'undici.request + FormData/openAsBlob',
  'undici-1conn': 'undici.request, Agent connections: 1',
  fetch: 'fetch (Node) + FormData/openAsBlob',
  superagent: 'superagent .attach',
  'http-form-data': 'node:http + form-data',
  'node-https': 'node:https, multipart built by hand',
  curl: 'curl -F',
}

// ---- measurement loop -------------------------------------------------------------------------

let noisy = 0 // measurements started while something else kept the CPU busy
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`)

/**
 * Runs `measure(variant)` for every variant, RUNS rounds, interleaved and rotated so no variant
 * always goes first. Returns { [variant]: [result of round 0, round 1, …] }.
 */
const raw = {} // every result, by scenario, written to bench/data/last-results.json

async function rounds(scenario, variants, measure, runs = RUNS) {
  const results = Object.fromEntries(variants.map((v) => [v, []]))
  raw[scenario] = results
  for (let r = 0; r < runs; r++) {
    const order = variants.slice(r % variants.length).concat(variants.slice(0, r % variants.length))
    for (const v of order) {
      const quiet = await waitQuiet(QUIET_WAIT)
      if (!quiet) noisy++
      const res = await measure(v)
      results[v][r] = res
      const brief = res.error
        ? `ERROR ${res.error}`
        : Object.entries(res)
            .filter(([_k, x]) => typeof x === 'number')
            .map(([k, x]) => `${k}=${Math.round(x * 100) / 100}`)
            .join(' ')
      log(`[${scenario} ${r + 1}/${runs}] ${v}${quiet ? '' : ' (machine busy)'}: ${brief}`)
    }
  }
  return results
}

const ok = (res) => res && !res.error
/** Median over rounds of `field`. */
const med = (results, v, field) =>
  median((results[v] || []).filter(ok).map((x) => (typeof field === 'function' ? field(x) : x[field])))
/** Median over rounds of a / b, both measured in the same round. */
function medRatio(results, a, b, field) {
  const get = (x) => (typeof field === 'function' ? field(x) : x[field])
  const xs = []
  for (let r = 0; r < (results[a] || []).length; r++) {
    const ra = results[a]?.[r]
    const rb = results[b]?.[r]
    if (ok(ra) && ok(rb)) xs.push(get(ra) / get(rb))
  }
  return median(xs)
}
const errors = (results, v) => (results[v] || []).filter((x) => x?.error).map((x) => x.error)

const targets = [] // { target, measured, met }
/** Records a target; `value` NaN (peer not run or failed) means not measured. */
function target(text, measured, value, pass) {
  targets.push({ text, measured, met: Number.isFinite(value) ? pass(value) : null })
}
const verdict = (met) => (met === null ? 'not measured' : met ? '**met**' : '**missed**')

// ---- scenarios --------------------------------------------------------------------------------

/** The columns of the 1 GiB tables (scenarios 1 and 6), with one of their own after peak RSS. */
function bigColumns(own) {
  return [
    'client',
    'wall ms',
    'MiB/s',
    'wall × upload-task',
    'CPU ms per GiB',
    'CPU × upload-task',
    'CPU / wall',
    'peak RSS MiB',
    own,
    'sink busy',
    'sink CPU ms per GiB',
    'notes',
  ]
}

async function scenarioBig(url) {
  const file = ensureFile(path.join(DATA, `random-${SIZE.big}.bin`), SIZE.big)
  const baselines = ['raw-socket', ...(have('python3') ? ['raw-socket-py'] : [])]
  const peers = [
    'http-tuned',
    'got',
    'axios',
    'axios-nr',
    'undici',
    'fetch',
    'superagent',
    'http-form-data',
    ...(have('curl') ? ['curl'] : []),
  ]
  const builds = BASELINE ? ['upload-task-baseline'] : []
  const clients = pick(['upload-task', ...builds, ...baselines, ...peers])
  const res = await rounds('big', clients, (c) => runClient(c, ['single', url, file, 1]))
  const ut = 'upload-task'
  const gib = SIZE.big / GiB
  const mibps = (c) => SIZE.big / MiB / (med(res, c, 'wallMs') / 1000)
  const sinkBusy = (c) => 100 * med(res, c, (x) => x.sinkCpuMs / x.wallMs)
  const rows = clients.map((c) => [
    NAMES[c],
    fixed(med(res, c, 'wallMs')),
    fixed(mibps(c)),
    c === ut ? '1.00×' : ratio(medRatio(res, c, ut, 'wallMs')),
    fixed(med(res, c, 'cpuMs') / gib),
    c === ut ? '1.00×' : ratio(medRatio(res, c, ut, 'cpuMs')),
    `${fixed(100 * med(res, c, (x) => x.cpuMs / x.wallMs))} %`,
    mib(med(res, c, 'maxRssKiB')),
    c === ut ? fixed(med(res, c, 'progressEvents')) : '',
    `${fixed(sinkBusy(c))} %`,
    fixed(med(res, c, 'sinkCpuMs') / gib),
    [
      med(res, c, 'maxRssKiB') * 1024 > Math.max(SIZE.big / 2, 256 * MiB)
        ? 'peak RSS grows with the file: the body is buffered in memory'
        : '',
      errors(res, c).length ? `${errors(res, c).length} failed: ${errors(res, c)[0]}` : '',
    ]
      .filter(Boolean)
      .join('; '),
  ])
  for (const b of baselines) {
    if (!clients.includes(b)) continue
    const r = medRatio(res, ut, b, 'wallMs')
    target(
      `${sizeName(SIZE.big)} wall time ≤ 1.1× the ${NAMES[b]}`,
      `upload-task takes ${ratio(r)} its time`,
      r,
      (x) => x <= 1.1,
    )
  }
  for (const c of ['got', 'http-form-data', 'superagent', 'curl']) {
    if (!clients.includes(c)) continue
    const r = medRatio(res, c, ut, 'wallMs')
    target(
      `≥ 3× faster than ${NAMES[c]} (${sizeName(SIZE.big)})`,
      `${NAMES[c]} takes ${ratio(r)} upload-task’s time`,
      r,
      (x) => x >= 3,
    )
  }
  if (clients.includes('upload-task-baseline')) {
    const wall = medRatio(res, 'upload-task-baseline', ut, 'wallMs')
    const cpu = medRatio(res, 'upload-task-baseline', ut, 'cpuMs')
    target(
      `${sizeName(SIZE.big)} within noise (±5 %) of the --baseline build`,
      `the baseline takes ${ratio(wall)} of this build’s time, ${ratio(cpu)} of its CPU`,
      wall,
      (x) => x >= 0.95 && x <= 1.05,
    )
  }
  const tuned = medRatio(res, 'http-tuned', ut, 'wallMs')
  target(
    `≥ 1.5× faster than the tuned node:http client (${sizeName(SIZE.big)})`,
    `node:http tuned takes ${ratio(tuned)} upload-task’s time`,
    tuned,
    (x) => x >= 1.5,
  )
  const cpuGot = medRatio(res, ut, 'got', 'cpuMs')
  target('CPU (user+sys) per GiB ≤ ½ of got’s', `${ratio(cpuGot)} of got’s`, cpuGot, (x) => x <= 0.5)
  const rss = med(res, ut, 'maxRssKiB') / 1024
  target(`peak RSS ≤ 80 MiB (${sizeName(SIZE.big)} upload)`, `${fixed(rss, 1)} MiB`, rss, (x) => x <= 80)
  const utBusy = 100 * med(res, ut, (x) => x.cpuMs / x.wallMs)
  const fastest = clients.filter((c) => Number.isFinite(mibps(c))).sort((a, b) => mibps(b) - mibps(a))[0]
  return [
    `## 1. One ${sizeName(SIZE.big)} upload`,
    '',
    `Median of ${RUNS} runs. *× upload-task* columns: the client’s figure divided by upload-task’s in the same round, median over rounds (above 1 = upload-task is faster or leaner). *CPU* is user + sys of the uploading process from the upload call to the response (all its threads); *CPU / wall* how much of one core that is. *Peak RSS*: the whole client process (maxRSS). *Sink busy*: the sink’s CPU time for that request over the client’s wall time; *sink CPU per GiB*: the same time per GiB received.`,
    '',
    table(bigColumns('progress events'), rows),
    '',
    `Is the sink the bottleneck? The fastest client through it in this run was ${NAMES[fastest]} at ${fixed(mibps(fastest))} MiB/s, with the sink busy ${fixed(sinkBusy(fastest))} % of that time` +
      (fastest === ut
        ? '. '
        : `; upload-task reached ${fixed(mibps(ut))} MiB/s (sink busy ${fixed(sinkBusy(ut))} %). `) +
      baselines
        .filter((b) => clients.includes(b))
        .map(
          (b) =>
            `The ${NAMES[b]} moved ${fixed(mibps(b))} MiB/s with its own process ${fixed(100 * med(res, b, (x) => x.cpuMs / x.wallMs))} % busy (sink ${fixed(sinkBusy(b))} %).`,
        )
        .join(' ') +
      ' Client, sink and the kernel’s loopback copies share the 2 cores.',
    '',
    `Where upload-task spends its time: ${fixed(med(res, ut, 'cpuMs') / gib)} ms of CPU per GiB (` +
      ['raw-socket-py', 'raw-socket', 'curl', 'http-tuned']
        .filter((c) => clients.includes(c))
        .map((c) => `${NAMES[c]}: ${fixed(med(res, c, 'cpuMs') / gib)}`)
        .join('; ') +
      `); its process was busy ${fixed(utBusy)} % of its wall time` +
      (utBusy < 90
        ? ', so what separates it from a faster client is waiting (the read → send pipeline and scheduling on 2 shared cores), not work.'
        : ', so it is CPU-bound.') +
      ` The sink spent ${fixed(med(res, ut, 'sinkCpuMs') / gib)} ms per GiB receiving upload-task’s stream` +
      (clients.includes('curl')
        ? ` and ${fixed(med(res, 'curl', 'sinkCpuMs') / gib)} ms per GiB receiving curl’s.`
        : '.'),
    '',
  ].join('\n')
}

async function scenarioMemory(url) {
  const clients = pick(['upload-task', 'got', 'http-tuned'])
  const sizes = SIZE.memory
  const files = sizes.map((s) => ensureFile(path.join(DATA, `random-${s}.bin`), s))
  const variants = clients.flatMap((c) => sizes.map((_s, i) => `${c}@${i}`))
  const res = await rounds('memory', variants, (v) => {
    const [c, i] = v.split('@')
    return runClient(c, ['single', url, files[i], 1], 900_000)
  })
  const [lo, hi] = sizes.map((_s, i) => i)
  const rows = clients.map((c) => {
    const a = med(res, `${c}@${lo}`, 'maxRssKiB')
    const b = med(res, `${c}@${hi}`, 'maxRssKiB')
    return [
      NAMES[c],
      mib(a),
      mib(b),
      fixed((b - a) / 1024, 1),
      fixed(sizes[hi] / MiB / (med(res, `${c}@${hi}`, 'wallMs') / 1000)),
      [...errors(res, `${c}@${lo}`), ...errors(res, `${c}@${hi}`)].slice(0, 1).join(''),
    ]
  })
  const a = med(res, `upload-task@${lo}`, 'maxRssKiB') / 1024
  const b = med(res, `upload-task@${hi}`, 'maxRssKiB') / 1024
  target(
    `peak RSS ≤ 80 MiB, flat from ${sizeName(sizes[lo])} to ${sizeName(sizes[hi])} (growth ≤ 8 MiB)`,
    `${fixed(a, 1)} → ${fixed(b, 1)} MiB`,
    b - a,
    () => Math.max(a, b) <= 80 && b - a <= 8,
  )
  return [
    '## 2. Memory flatness',
    '',
    `Peak RSS (maxRSS of the whole client process) uploading ${sizeName(sizes[lo])} and ${sizeName(sizes[hi])}; median of ${RUNS} runs each, interleaved.`,
    '',
    table(
      [
        'client',
        `peak RSS MiB, ${sizeName(sizes[lo])}`,
        `peak RSS MiB, ${sizeName(sizes[hi])}`,
        'growth MiB',
        `MiB/s at ${sizeName(sizes[hi])}`,
        'notes',
      ],
      rows,
    ),
    '',
  ].join('\n')
}

async function scenarioSmall(url) {
  const dir = ensureSmallFiles(
    path.join(DATA, `small-${SIZE.smallCount}x${SIZE.smallSize}`),
    SIZE.smallCount,
    SIZE.smallSize,
  )
  const clients = pick(['upload-task', 'got', 'undici', 'fetch', 'axios', 'http-tuned'])
  const res = await rounds('small', clients, (c) => runClient(c, ['many', url, dir, SIZE.concurrency]))
  const ut = 'upload-task'
  const rows = clients.map((c) => [
    NAMES[c],
    fixed(med(res, c, 'uploadsPerSec')),
    c === ut ? '1.00×' : ratio(medRatio(res, ut, c, 'uploadsPerSec')),
    fixed(1000 * med(res, c, (x) => x.cpuMs / x.uploads), 0),
    c === ut ? '1.00×' : ratio(medRatio(res, c, ut, 'cpuMs')),
    mib(med(res, c, 'maxRssKiB')),
    errors(res, c).slice(0, 1).join(''),
  ])
  const vsGot = medRatio(res, ut, 'got', 'uploadsPerSec')
  target('small files: ≥ 1.5× got’s uploads/s', `${ratio(vsGot)} got’s rate`, vsGot, (x) => x >= 1.5)
  const vsUndici = medRatio(res, ut, 'undici', 'uploadsPerSec')
  target('small files: ≥ undici.request’s uploads/s', `${ratio(vsUndici)} undici’s rate`, vsUndici, (x) => x >= 1)
  return [
    `## 3. Many small uploads`,
    '',
    `${SIZE.smallCount} distinct files of ${SIZE.smallSize / 1024} KiB, ${SIZE.concurrency} uploads in flight, one process per client; median of ${RUNS} runs. Each client uses its default keep-alive agent. *upload-task ×* is upload-task’s rate over the peer’s; *CPU ×* the peer’s CPU over upload-task’s.`,
    '',
    table(
      ['client', 'uploads/s', 'upload-task ×', 'CPU µs per upload', 'CPU × upload-task', 'peak RSS MiB', 'notes'],
      rows,
    ),
    '',
  ].join('\n')
}

async function scenarioAbort(url) {
  const file = ensureFile(path.join(DATA, `random-${SIZE.big}.bin`), SIZE.big)
  const clients = pick(['upload-task', 'undici', 'axios', 'got', 'fetch'])
  const res = await rounds('abort', clients, (c) => runClient(c, ['abort', url, file, SIZE.aborts, SIZE.abortDelayMs]))
  /** The median over rounds of percentile `p` of the latencies in `key`, with `digits` decimals. */
  const pct = (c, key, p, digits) =>
    fixed(
      med(res, c, (x) => percentile(x[key], p)),
      digits,
    )
  const rows = clients.map((c) => [
    NAMES[c],
    pct(c, 'latencies', 50, 3),
    pct(c, 'latencies', 99, 3),
    pct(c, 'lastDataLatencies', 50, 2),
    pct(c, 'lastDataLatencies', 99, 2),
    pct(c, 'closeLatencies', 50, 2),
    pct(c, 'closeLatencies', 99, 2),
    fixed(med(res, c, (x) => x.completed)),
    errors(res, c).slice(0, 1).join(''),
  ])
  const p99 = med(res, 'upload-task', (x) => percentile(x.latencies, 99))
  target('abort p99 < 5 ms (abort() → rejection)', `${fixed(p99, 3)} ms`, p99, (x) => x < 5)
  return [
    '## 4. Abort latency',
    '',
    `${SIZE.aborts} uploads of the ${sizeName(SIZE.big)} file one after another, each aborted ${SIZE.abortDelayMs} ms after it started (mid-body: the sink reads at full speed). *abort → rejection*: from \`abort()\` (upload-task) or \`AbortController.abort()\` (peers) to the rejection handler, in the client. *abort → last byte at sink* and *abort → sink sees close*: from the same instant to the sink’s last \`data\` event and its \`close\` event for that request (timestamps from \`performance.timeOrigin + now()\` in both processes): how long body bytes kept arriving, kernel queues included, and when the connection was really gone. p50/p99 within a run, median over ${RUNS} runs. *completed*: uploads that finished before the abort (should be 0).`,
    '',
    table(
      [
        'client',
        'abort → rejection p50 ms',
        'p99 ms',
        'abort → last byte at sink p50 ms',
        'p99 ms',
        'abort → sink sees close p50 ms',
        'p99 ms',
        'completed',
        'notes',
      ],
      rows,
    ),
    '',
  ].join('\n')
}

async function scenarioProgress(url) {
  const file = ensureFile(path.join(DATA, `random-${SIZE.big}.bin`), SIZE.big)
  const variants = ['0', '1', '10']
  const res = await rounds('progress', variants, (n) => runClient('upload-task', ['single', url, file, n]), 2 * RUNS)
  const thr = (x) => SIZE.big / x.wallMs
  const cost = (n) => (1 - medRatio(res, n, '0', thr)) / Number(n) // per listener, fraction of throughput
  const rows = variants.map((n) => [
    n,
    fixed(med(res, n, 'wallMs')),
    fixed(SIZE.big / MiB / (med(res, n, 'wallMs') / 1000)),
    n === '0' ? '1.00' : fixed(medRatio(res, n, '0', thr), 3),
    n === '0' ? '' : `${fixed(100 * cost(n), 2)} %`,
    fixed(med(res, n, 'cpuMs')),
    n === '0' ? '1.00' : fixed(medRatio(res, n, '0', 'cpuMs'), 3),
    n === '0' ? '' : fixed(med(res, n, 'progressEvents')),
  ])
  const worst = Math.max(cost('1'), cost('10'))
  target(
    'each progress listener costs < 2 % of throughput',
    `${fixed(100 * cost('1'), 2)} % (1 listener), ${fixed(100 * cost('10'), 2)} % per listener (10)`,
    worst,
    (x) => x < 0.02,
  )
  return [
    '## 5. Progress listener cost',
    '',
    `upload-task, ${sizeName(SIZE.big)}, with 0, 1 and 10 \`onProgressUpdate\` listeners, interleaved; median of ${2 * RUNS} runs (twice the others: the effect is small and the noise is not). *throughput vs 0*: per-round ratio to the 0-listener run of the same round; *cost per listener*: (1 − that ratio) / listeners (negative = within noise, faster).`,
    '',
    table(
      [
        'listeners',
        'wall ms',
        'MiB/s',
        'throughput vs 0',
        'cost per listener',
        'CPU ms',
        'CPU vs 0',
        'progress events',
      ],
      rows,
    ),
    '',
    `With ${fixed(med(res, '1', 'progressEvents'))} events per upload (the throttle allows one per percent, at most one per 50 ms), a listener’s cost is far below the run-to-run noise of the wall time; *CPU vs 0* is the steadier signal.`,
    '',
  ].join('\n')
}

async function scenarioHttps(_url, tls) {
  const file = ensureFile(path.join(DATA, `random-${SIZE.big}.bin`), SIZE.big)
  const clients = pick(['upload-task', ...(have('curl') ? ['curl'] : []), 'got'])
  const env = { BENCH_CA: tls.caFile }
  const sink = await startSink('https', tls)
  let res
  try {
    for (const c of clients) await runClient(c, ['single', sink.url, WARM, 0], undefined, env)
    res = await rounds('https', clients, (c) => runClient(c, ['single', sink.url, file, 1], undefined, env))
  } finally {
    sink.stop()
  }
  const ut = 'upload-task'
  const gib = SIZE.big / GiB
  const same = (c, field) => (c === ut ? '1.00×' : ratio(medRatio(res, c, ut, field)))
  const rows = clients.map((c) => [
    NAMES[c],
    fixed(med(res, c, 'wallMs')),
    fixed(SIZE.big / MiB / (med(res, c, 'wallMs') / 1000)),
    same(c, 'wallMs'),
    fixed(med(res, c, 'cpuMs') / gib),
    same(c, 'cpuMs'),
    `${fixed(100 * med(res, c, (x) => x.cpuMs / x.wallMs))} %`,
    mib(med(res, c, 'maxRssKiB')),
    same(c, 'maxRssKiB'),
    `${fixed(100 * med(res, c, (x) => x.sinkCpuMs / x.wallMs))} %`,
    fixed(med(res, c, 'sinkCpuMs') / gib),
    errors(res, c).length ? `${errors(res, c).length} failed: ${errors(res, c)[0]}` : '',
  ])
  const vsCurl = medRatio(res, ut, 'curl', 'wallMs')
  target(
    `HTTPS ${sizeName(SIZE.big)}: wall time ≤ 1.1× ${NAMES.curl}’s`,
    `upload-task takes ${ratio(vsCurl)} curl’s time`,
    vsCurl,
    (x) => x <= 1.1,
  )
  const cpuGot = medRatio(res, ut, 'got', 'cpuMs')
  target('HTTPS: CPU (user+sys) per GiB ≤ ½ of got’s', `${ratio(cpuGot)} of got’s`, cpuGot, (x) => x <= 0.5)
  const rss = med(res, ut, 'maxRssKiB') / 1024
  target(`HTTPS: peak RSS ≤ 80 MiB (${sizeName(SIZE.big)} upload)`, `${fixed(rss, 1)} MiB`, rss, (x) => x <= 80)
  // The price of TLS, from scenario 1 of this run when it ran (other rounds: a rough figure).
  const plain = raw.big
  const cost = clients
    .filter((c) => plain?.[c])
    .map((c) => `${NAMES[c]} ${ratio(med(res, c, 'wallMs') / med(plain, c, 'wallMs'))}`)
  const sinkPerGiB = (results, c) => med(results, c, 'sinkCpuMs') / gib
  return [
    `## 6. One ${sizeName(SIZE.big)} upload over HTTPS`,
    '',
    `The file of scenario 1 to a \`node:https\` sink (HTTP/1.1, TLS 1.3, certificate signed by a CA generated for this run; each client is given that CA). Median of ${RUNS} runs, interleaved; columns as in scenario 1, *× upload-task* = the client’s figure over upload-task’s in the same round, median over rounds (above 1 = upload-task is faster or leaner).`,
    '',
    table(bigColumns('RSS × upload-task'), rows),
    '',
    `The sink needs ${fixed(sinkPerGiB(res, ut))} ms of CPU per GiB to decrypt and read upload-task’s stream` +
      (plain?.[ut] ? ` (${fixed(sinkPerGiB(plain, ut))} ms over plain HTTP in scenario 1)` : '') +
      `, upload-task ${fixed(med(res, ut, 'cpuMs') / gib)} ms to encrypt and send it` +
      (clients.includes('curl') ? ` and curl ${fixed(med(res, 'curl', 'cpuMs') / gib)} ms` : '') +
      '; client, sink (one thread) and the loopback share the 2 cores.' +
      (cost.length
        ? ` HTTPS wall time over the plain-HTTP median of scenario 1 in this run (medians of different rounds, so a rough figure): ${cost.join('; ')}.`
        : ''),
    '',
  ].join('\n')
}

/** Where the system's CA bundle usually is (Debian/Ubuntu, then Fedora/RHEL); null if none. */
const SYSTEM_BUNDLE = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'].find((f) =>
  fs.existsSync(f),
)

/**
 * The runs of scenario 8: a client runner, and the environment that makes it trust the sink.
 * `ca`: the CA given to the client itself (upload-task `ca`, node:https `ca`, curl `--cacert`).
 * `roots`: the CA added to the client's usual roots instead (upload-task: `SSL_CERT_FILE` = the
 * system bundle plus the CA, read with the machine's `SSL_CERT_DIR`; Node: its own roots plus
 * `NODE_EXTRA_CA_CERTS`; curl: `--cacert` that bundle), so the roots are loaded as they are
 * for a public server.
 */
function coldRuns(tls) {
  const bundle = path.join(path.dirname(tls.caFile), 'system-plus-ca.pem')
  fs.writeFileSync(bundle, (SYSTEM_BUNDLE ? fs.readFileSync(SYSTEM_BUNDLE, 'utf8') : '') + tls.ca)
  const runs = {
    'upload-task': { client: 'upload-task', env: { BENCH_CA: tls.caFile } },
    ...(BASELINE ? { 'upload-task-baseline': { client: 'upload-task-baseline', env: { BENCH_CA: tls.caFile } } } : {}),
    'node-https': { client: 'node-https', env: { BENCH_CA: tls.caFile } },
    curl: { client: 'curl', env: { BENCH_CA: tls.caFile } },
    'upload-task roots': { client: 'upload-task', env: { SSL_CERT_FILE: bundle } },
    ...(BASELINE
      ? { 'upload-task-baseline roots': { client: 'upload-task-baseline', env: { SSL_CERT_FILE: bundle } } }
      : {}),
    'node-https roots': { client: 'node-https', env: { NODE_EXTRA_CA_CERTS: tls.caFile } },
    'curl roots': { client: 'curl', env: { BENCH_CA: bundle } },
  }
  const wanted = pick(['upload-task', 'node-https', ...(have('curl') ? ['curl'] : [])])
  return Object.fromEntries(
    Object.entries(runs).filter(([, r]) => r.client.startsWith('upload-task') || wanted.includes(r.client)),
  )
}

/**
 * Scenario 8: a fresh process's one 16 KiB HTTPS upload (the CLI, a tool that uploads one file
 * per run): the first TLS connection of the process, its roots and crypto set up included.
 */
async function scenarioColdtls(_url, tls) {
  const file = ensureFile(path.join(DATA, `random-${SIZE.smallSize}.bin`), SIZE.smallSize)
  const runs = coldRuns(tls)
  const variants = Object.keys(runs)
  // The variables of this machine stay (SSL_CERT_DIR among them); BENCH_CA only where given.
  const measure = (v, what = file) =>
    runClient(runs[v].client, ['single', sink.url, what, 0], undefined, { BENCH_CA: '', ...runs[v].env })
  const sink = await startSink('https', tls)
  let res
  try {
    for (const v of variants) await measure(v, WARM)
    res = await rounds('coldtls', variants, measure, SIZE.coldProcesses)
  } finally {
    sink.stop()
  }
  const name = (v) => `${NAMES[runs[v].client]}${v.endsWith(' roots') ? ', CA added to its roots' : ', CA given'}`
  const walls = (v) => (res[v] || []).filter(ok).map((x) => x.wallMs)
  const base = (v) => (v.endsWith(' roots') ? 'upload-task roots' : 'upload-task')
  const rows = variants.map((v) => [
    name(v),
    fixed(med(res, v, 'wallMs'), 1),
    fixed(percentile(walls(v), 90), 1),
    v === base(v) ? '1.00×' : ratio(medRatio(res, v, base(v), 'wallMs')),
    runs[v].client === 'curl' ? fixed(med(res, v, 'connectMs'), 1) : '',
    runs[v].client === 'curl' ? '' : fixed(med(res, v, 'sinceStartMs'), 0),
    fixed(med(res, v, 'cpuMs'), 1),
    errors(res, v).length ? `${errors(res, v).length} failed: ${errors(res, v)[0]}` : '',
  ])
  for (const [ut, node] of [
    ['upload-task', 'node-https'],
    ['upload-task roots', 'node-https roots'],
  ]) {
    const vsNode = medRatio(res, ut, node, 'wallMs')
    target(
      `Cold HTTPS, ${SIZE.smallSize / 1024} KiB in a fresh process, ${name(ut).split(', ')[1]}: call to response ≤ node:https’s`,
      `upload-task takes ${ratio(vsNode)} node:https’s time`,
      vsNode,
      (x) => x <= 1,
    )
  }
  return [
    `## 8. A fresh process’s one ${SIZE.smallSize / 1024} KiB upload over HTTPS (cold start)`,
    '',
    `${SIZE.coldProcesses} fresh processes per run, interleaved, each uploading one ${SIZE.smallSize / 1024} KiB file to a \`node:https\` sink (as scenario 6, warmed before the rounds). *CA given*: the client is given the sink’s CA (upload-task and node:https \`ca\`, curl \`--cacert\`). *CA added to its roots*: the client trusts its usual roots plus the CA, loaded as for a public server (upload-task: \`SSL_CERT_FILE\` = the system bundle plus the CA, with this machine’s \`SSL_CERT_DIR\` if set; node:https: \`NODE_EXTRA_CA_CERTS\`; curl: \`--cacert\` that bundle). *call → response* runs from the upload call to the parsed response inside the process, so Node’s start-up and module loading are excluded (curl: its \`%{time_total}\`); it includes the process’s first TLS connection and whatever the client sets up for it (roots, crypto provider, verifier). *× upload-task* = the figure over upload-task’s (same trust) in the same round, median over rounds. *TLS done* = curl’s \`%{time_appconnect}\`. *start → response* = from the process’s start (Node’s \`performance.timeOrigin\`), start-up and loading included.`,
    '',
    table(
      [
        'client',
        'call → response, ms (median)',
        'p90, ms',
        '× upload-task',
        'TLS done, ms',
        'start → response, ms',
        'CPU, ms',
        'errors',
      ],
      rows,
    ),
    '',
  ].join('\n')
}

/**
 * Scenario 9: the file of scenario 1 from upload-task over HTTP/1.1 and HTTP/2 (bench/sink.js,
 * `node:https` / `node:http2`) and over HTTP/3 (`enableQuic`; the sink is the tests' aioquic
 * server, __test__/helpers/h3_server.py, which hashes what it receives in Python).
 */
/**
 * The HTTP/3 sink of scenario h3: bench/h3-sink (Rust, quinn + h3) unless BENCH_H3_SINK=python
 * picks the tests' aioquic server (__test__/helpers/h3_server.py).
 */
async function startH3(tls) {
  if (H3_SINK === 'python') {
    const { startH3Server } = require('../__test__/helpers/h3.js')
    const h3 = await startH3Server({
      cert: fs.readFileSync(tls.certFile, 'utf8'),
      key: fs.readFileSync(tls.keyFile, 'utf8'),
    })
    return { url: h3.url, stop: h3.close }
  }
  if (H3_SINK !== 'rust') throw new Error(`BENCH_H3_SINK=${H3_SINK}: known rust (the default) and python`)
  return startH3Sink(tls)
}

async function scenarioH3(_url, tls) {
  const file = ensureFile(path.join(DATA, `random-${SIZE.big}.bin`), SIZE.big)
  const h3 = await startH3(tls) // first: when it cannot start, no other sink is left running
  const sinks = {
    'HTTP/1.1': { sink: await startSink('https', tls), env: {} },
    'HTTP/2': { sink: await startSink('h2', tls), env: { BENCH_HTTP2: '1' } },
    'HTTP/3': { sink: h3, env: { BENCH_QUIC: '1' } },
  }
  const variants = Object.keys(sinks)
  const measure = (v, f) =>
    runClient('upload-task', ['single', sinks[v].sink.url, f, 1], undefined, { BENCH_CA: tls.caFile, ...sinks[v].env })
  let res
  try {
    for (const v of variants) await measure(v, WARM)
    res = await rounds('h3', variants, (v) => measure(v, file))
  } finally {
    for (const v of variants) await sinks[v].sink.stop()
  }
  const gib = SIZE.big / GiB
  const rows = variants.map((v) => [
    v,
    fixed(med(res, v, 'wallMs')),
    fixed(SIZE.big / MiB / (med(res, v, 'wallMs') / 1000)),
    ratio(medRatio(res, v, 'HTTP/1.1', 'wallMs')),
    fixed(med(res, v, 'cpuMs') / gib),
    mib(med(res, v, 'maxRssKiB')),
    fixed(med(res, v, 'sinkCpuMs') / gib),
    errors(res, v).length ? `${errors(res, v).length} failed: ${errors(res, v)[0]}` : '',
  ])
  return [
    '## 9. HTTP/3 beside HTTP/2 and HTTP/1.1 over TLS',
    '',
    `The file of scenario 1 (${sizeName(SIZE.big)}) from upload-task with the sink's CA as \`ca\`: HTTP/1.1 and HTTP/2 (\`enableHttp2\`) to bench/sink.js (\`node:https\`, \`node:http2\`), HTTP/3 (\`enableQuic\`) to ${H3_SINK === 'python' ? "the tests' HTTP/3 server (Python's aioquic, which parses and hashes the body in Python: its CPU, not the client's, bounds that row; BENCH_H3_SINK=python)" : 'bench/h3-sink (Rust: quinn 0.11 + h3 0.0.8 with quinn’s default windows; counts the body like bench/sink.js)'}. Median of ${RUNS} runs, interleaved. *× HTTP/1.1* = the wall time over HTTP/1.1's in the same round, median over rounds.`,
    '',
    table(
      [
        'protocol',
        'wall, ms',
        'MiB/s',
        '× HTTP/1.1',
        'client CPU ms per GiB',
        'client peak RSS',
        'sink CPU ms per GiB',
        'errors',
      ],
      rows,
    ),
    '',
  ].join('\n')
}

async function scenarioH2small(_url, tls) {
  const dir = ensureSmallFiles(path.join(DATA, `small-${SIZE.h2Count}x${SIZE.smallSize}`), SIZE.h2Count, SIZE.smallSize)
  const clients = pick(['upload-task', 'undici', 'undici-1conn'])
  const env = { BENCH_CA: tls.caFile, BENCH_HTTP2: '1' }
  const sink = await startSink('h2', tls)
  /** One run of `c`, with what the sink saw of it (HTTP versions, connections). */
  const measure = async (c) => {
    await sinkStats(sink) // forget the warm-up and the previous run
    const res = await runClient(c, ['many', sink.url, dir, SIZE.h2Concurrency], undefined, env)
    return res.error ? res : { ...res, ...(await sinkStats(sink)) }
  }
  let res
  try {
    for (const c of clients) await measure(c)
    res = await rounds('h2small', clients, measure)
  } finally {
    sink.stop()
  }
  const ut = 'upload-task'
  /** `field` over the rounds: one number when it never changed, else min–max. */
  const range = (c, field) => {
    const xs = (res[c] || []).filter(ok).map((x) => x[field])
    if (!xs.length) return '–'
    const [lo, hi] = [Math.min(...xs), Math.max(...xs)]
    return lo === hi ? String(lo) : `${lo}–${hi}`
  }
  const h1 = (c) => (res[c] || []).filter(ok).reduce((n, x) => n + x.h1Requests, 0)
  const rows = clients.map((c) => [
    NAMES[c],
    fixed(med(res, c, 'uploadsPerSec')),
    c === ut ? '1.00×' : ratio(medRatio(res, ut, c, 'uploadsPerSec')),
    fixed(1000 * med(res, c, (x) => x.cpuMs / x.uploads), 0),
    c === ut ? '1.00×' : ratio(medRatio(res, c, ut, 'cpuMs')),
    mib(med(res, c, 'maxRssKiB')),
    range(c, 'h2Requests'),
    range(c, 'h1Requests'),
    range(c, 'connections'),
    range(c, 'accepted'),
    range(c, 'maxInFlight'),
    [
      h1(c) ? `${h1(c)} uploads over HTTP/1.1 in all` : '',
      errors(res, c).length ? `${errors(res, c).length} failed: ${errors(res, c)[0]}` : '',
    ]
      .filter(Boolean)
      .join('; '),
  ])
  const vsUndici = medRatio(res, ut, 'undici', 'uploadsPerSec')
  target(
    'HTTP/2 small files: ≥ undici.request’s uploads/s (allowH2)',
    `${ratio(vsUndici)} undici’s rate`,
    vsUndici,
    (x) => x >= 1,
  )
  const runs = (res[ut] || []).filter(ok)
  target(
    'HTTP/2 small files: every upload over HTTP/2, on one connection per run',
    `HTTP/2 uploads per run ${range(ut, 'h2Requests')} of ${SIZE.h2Count}, connections that carried them ${range(ut, 'connections')} (TCP connections opened ${range(ut, 'accepted')})`,
    runs.length ? 1 : NaN,
    () => runs.every((x) => x.h2Requests === x.uploads && x.h1Requests === 0 && x.connections === 1),
  )
  return [
    '## 7. Many small uploads over HTTP/2',
    '',
    `${SIZE.h2Count} distinct files of ${SIZE.smallSize / 1024} KiB, ${SIZE.h2Concurrency} uploads in flight, one process per client, to a \`node:http2\` secure server (\`allowHTTP1: true\`: it offers h2 and http/1.1 by ALPN; same generated CA). upload-task runs with \`{ enableHttp2: true, ca }\`, undici with \`request\` + \`FormData\`/\`openAsBlob\` through \`new Agent({ allowH2: true, connect: { ca } })\`, and again with \`connections: 1\` added to that Agent. Median of ${RUNS} runs, interleaved. The last five columns are what the sink saw in each run: uploads by \`req.httpVersion\`, the distinct HTTP/2 sessions (or HTTP/1.1 sockets) that carried an upload, all TCP connections the client opened (those closed without a request included), the most uploads under way at once; one figure when every run agreed, else min–max.`,
    '',
    table(
      [
        'client',
        'uploads/s',
        'upload-task ×',
        'CPU µs per upload',
        'CPU × upload-task',
        'peak RSS MiB',
        'HTTP/2 uploads',
        'HTTP/1.1 uploads',
        'connections that carried uploads',
        'TCP connections opened',
        'most in flight at the sink',
        'notes',
      ],
      rows,
    ),
    '',
  ].join('\n')
}

// ---- report -----------------------------------------------------------------------------------

function versions() {
  const pkg = (name) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'node_modules', name, 'package.json'), 'utf8'))
        .version
    } catch {
      return 'not installed'
    }
  }
  let curl = 'not found'
  try {
    curl = execFileSync('curl', ['--version'], { encoding: 'utf8' }).split('\n')[0]
  } catch {}
  let openssl = 'openssl command not found'
  try {
    openssl = execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim()
  } catch {}
  const own = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version
  let commit = '?'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).trim()
  } catch {}
  return [
    `node ${process.version}`,
    `upload-task ${own} at commit ${commit}, addon ${addonStamp() || 'not found'}`,
    ...['got', 'axios', 'form-data', 'undici', 'superagent'].map((n) => `${n} ${pkg(n)}`),
    `undici inside Node’s fetch ${process.versions.undici || '?'}`,
    curl,
    `Node’s OpenSSL ${process.versions.openssl}`,
    openssl,
  ]
}

/** The built addon's file name and modification time, to tell whether it changed mid-run. */
function addonStamp() {
  const dir = path.join(__dirname, '..')
  const addon = fs.readdirSync(dir).find((f) => f.endsWith('.node'))
  return addon && `${addon} built ${fs.statSync(path.join(dir, addon)).mtime.toISOString()}`
}

function machine() {
  const model = os.cpus()[0]?.model || '?'
  return [
    `nproc ${os.availableParallelism()}, CPU ${model}`,
    `memory ${fixed(os.totalmem() / GiB, 1)} GiB`,
    `kernel ${os.type()} ${os.release()}`,
  ]
}

async function main() {
  const started = Date.now()
  const load0 = os.loadavg()
  const addon0 = addonStamp()
  fs.mkdirSync(DATA, { recursive: true })
  const sink = await startSink(SINK)
  log(`sink ${SINK} ${sink.url} (pid ${sink.pid}); runs ${RUNS}; scenarios ${ONLY.join(',')}${QUICK ? ' (quick)' : ''}`)
  const sections = []
  try {
    // Warm the sink's JIT (and the page cache) so the first measured upload is not the cold one.
    ensureFile(WARM, 64 * MiB)
    for (const c of ['raw-socket', 'upload-task', 'raw-socket', 'upload-task'])
      await runClient(c, ['single', sink.url, WARM, 0])
    const tls = ONLY.some((s) => TLS_SCENARIOS.includes(s)) ? await tlsFiles(path.join(DATA, 'tls')) : null
    const run = {
      big: scenarioBig,
      memory: scenarioMemory,
      small: scenarioSmall,
      abort: scenarioAbort,
      progress: scenarioProgress,
      https: scenarioHttps,
      h2small: scenarioH2small,
      coldtls: scenarioColdtls,
      h3: scenarioH3,
    }
    for (const s of ALL) if (ONLY.includes(s)) sections.push(await run[s](sink.url, tls))
  } finally {
    sink.stop()
  }
  const minutes = (Date.now() - started) / 60000
  const command = `node bench/run.js ${process.argv.slice(2).join(' ')}`.trim()
  const envs = ['BENCH_QUICK', 'BENCH_RUNS', 'BENCH_ONLY', 'BENCH_OUT']
    .filter((k) => process.env[k])
    .map((k) => `${k}=${process.env[k]}`)
  const report = [
    '# upload-task benchmark results',
    '',
    'Written by `npm run bench` (`node bench/run.js`); a benchmark, not a test (CI does not run it).',
    '',
    '## Run',
    '',
    `- date: ${new Date(started).toISOString()}, duration ${fixed(minutes, 1)} min`,
    `- command: \`${[...envs, command].join(' ')}\`${QUICK ? ' (quick: small sizes — not the real figures)' : ''}`,
    `- machine: ${machine().join('; ')}`,
    `- versions: ${versions().join('; ')}`,
    ...(addonStamp() === addon0
      ? []
      : [`- **warning: the addon was rebuilt during this run** (${addon0} at the start); the figures mix two builds`]),
    `- load average (1/5/15 min) at start ${load0.map((x) => x.toFixed(2)).join(' ')}, at end ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(
        ' ',
      )}; measurements started while another program kept the CPUs > 15 % busy (after waiting up to 20 s for quiet): ${noisy}`,
    '',
    '## Method',
    '',
    '- Sink: `bench/sink.js`, a `node:http` server on 127.0.0.1 in its own process. It counts and discards each body and answers `{"bytes": n}`; it answers 400 (and the client run fails) unless the byte count equals `Content-Length` and the first 4 KiB hold both multipart fields (`note`, `file`).',
    '- Each measurement is a fresh `node bench/clients/<client>.js` process that prints one JSON line. Wall time runs from the upload call to the parsed response (start-up and module loading excluded); CPU is `process.cpuUsage()` over the same span (every thread of the process); peak RSS is `process.resourceUsage().maxRSS` of the whole process.',
    '- curl runs under GNU `/usr/bin/time -f "%U %S %M"` (getrusage of the curl child: CPU with 10 ms resolution, max RSS); its wall time is curl’s own `%{time_total}`.',
    '- Raw-socket baselines write the same HTTP request (head, multipart framing, file in 1 MiB reads into reused buffers) on a plain socket, no HTTP client: `clients/raw-socket.js` on a Node `net.Socket` (two buffers, read of the next overlapping the write of the last), and `clients/raw-socket-py.py` (Python `readinto` + `sendall`, run when python3 is present; CPU and max RSS from its own `getrusage`).',
    `- Rounds are interleaved and rotated (A B C, B C A, …); each figure is the median of ${RUNS} run(s); ratios to upload-task are taken within a round, then the median. Before each measurement the harness waits (up to 20 s) for the machine to be idle.`,
    '- Peers stream from disk as their docs show: got/axios/superagent/node:http use `form-data` with a `fs.ReadStream` (length from `getLength()`), undici.request and fetch use `FormData` + `fs.openAsBlob`, curl `-F file=@path`. upload-task runs with 1 progress listener in scenario 1 (to count events).',
    '- TLS (scenarios 6 and 7): the same sink code as `node:https` (HTTP/1.1 only, no ALPN) or as a `node:http2` secure server with `allowHTTP1: true`, each in its own process, warmed by one upload per client before the rounds. Its certificate (for 127.0.0.1, EC P-256) is signed by a CA generated at bench time with the `openssl` command (`testing/tls.js`); every client is given that CA and nothing else changes: upload-task `ca` (and `enableHttp2: true` in 7), curl `--cacert`, got `https.certificateAuthority`, undici `new Agent({ allowH2: true, connect: { ca } })`. The HTTP/2 sink counts, per run, the uploads by `req.httpVersion`, the distinct connections that carried them and every TCP connection it accepted.',
    '',
    '## Targets',
    '',
    table(
      ['target', 'measured', 'verdict'],
      targets.map((t) => [t.text, t.measured, verdict(t.met)]),
    ),
    '',
    ...profileNotes(),
    ...sections,
  ].join('\n')
  fs.mkdirSync(path.dirname(OUT), { recursive: true })
  fs.writeFileSync(OUT, report)
  fs.writeFileSync(path.join(DATA, 'last-results.json'), JSON.stringify(raw, null, 1))
  log(`wrote ${OUT} in ${fixed(minutes, 1)} min`)
}

/** The hand-written profile analysis (bench/PROFILE.md), copied into the report. */
function profileNotes() {
  const file = path.join(__dirname, 'PROFILE.md')
  return fs.existsSync(file) ? [fs.readFileSync(file, 'utf8').trim(), ''] : []
}

main().catch((e) => {
  log(e.stack || e)
  process.exit(1)
})
