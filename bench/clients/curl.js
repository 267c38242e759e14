'use strict'

// `curl -F` (single mode only). curl is spawned under GNU `/usr/bin/time -f`, which reports the
// child's getrusage (user, sys, max RSS); wall time is curl's own `%{time_total}` (connect to
// end of response, start-up excluded), and `connectMs` its `%{time_appconnect}` (TLS
// handshake done; `%{time_connect}`, TCP, over plain HTTP). Over HTTPS the sink's CA file
// (BENCH_CA) goes to `--cacert`.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { FIELDS, FILE_FIELD, check } = require('./_runner')

const [mode, url, file] = process.argv.slice(2)
if (mode !== 'single') throw new Error('curl.js supports single mode only')
const size = fs.statSync(file).size
const timeOut = path.join(os.tmpdir(), `bench-curl-time-${process.pid}`)
const args = ['-sS', '--fail-with-body', '-w', '\n%{time_connect} %{time_appconnect} %{time_total}']
if (process.env.BENCH_CA) args.push('--cacert', process.env.BENCH_CA)
for (const [k, v] of Object.entries(FIELDS)) args.push('-F', `${k}=${v}`)
args.push('-F', `${FILE_FIELD}=@${file}`, url)
// Without GNU time, curl still runs, but its CPU and RSS are not known.
const timed = fs.existsSync('/usr/bin/time')
const out = timed
  ? execFileSync('/usr/bin/time', ['-f', '%U %S %M', '-o', timeOut, 'curl', ...args], { encoding: 'utf8' })
  : execFileSync('curl', args, { encoding: 'utf8' })
let [user, sys, maxRssKiB] = [NaN, NaN, null]
if (timed) {
  ;[user, sys, maxRssKiB] = fs.readFileSync(timeOut, 'utf8').trim().split(/\s+/).slice(-3).map(Number)
  fs.unlinkSync(timeOut)
}
const nl = out.lastIndexOf('\n')
const answer = check(out.slice(0, nl), size)
const [tcp, tls, total] = out
  .slice(nl + 1)
  .trim()
  .split(/\s+/)
  .map((s) => Number(s) * 1000)
process.stdout.write(
  `${JSON.stringify({
    client: 'curl',
    mode,
    wallMs: total,
    connectMs: tls > 0 ? tls : tcp,
    cpuMs: timed ? (user + sys) * 1000 : null,
    maxRssKiB,
    bytes: answer.bytes,
    chunked: answer.chunked,
    sinkCpuMs: answer.sinkCpuMs,
    progressEvents: null,
  })}\n`,
)
