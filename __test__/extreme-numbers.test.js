'use strict'

// No caller's number can panic the runtime or hang an upload (docs/API.md §2: durations over
// 100 years count as Infinity, a pace below 1 byte per second is a parameter error). Every
// numeric option at 0, the smallest positive double, 1e22, Number.MAX_VALUE and Infinity, plus
// maxBytesPerSecond 1e-20, idleTimeout 1e22 and Number.MAX_VALUE for all of them at once
// (connectTimeout, whose tiny values depend on the pool, at every extreme but the smallest), over
// HTTP/1.1 and HTTP/2, in a child process: each settles within a second with the outcome its
// rule gives, and nothing on stderr says "panicked".

const http = require('node:http')
const http2 = require('node:http2')
const test = require('ava')
const { createCertificates } = require('../testing')
const { jsonLines, runFixture } = require('./helpers/child.js')
const { useTempFile } = require('./helpers/setup.js')

const file = useTempFile(test, 64 * 1024, { name: 'extremes.bin' })

const EXTREMES = [0, 5e-324, 1e22, Number.MAX_VALUE, Number.POSITIVE_INFINITY]

/**
 * Reads the whole body, then answers: `/503-once/<id>` with 503 the first time (`Retry-After:
 * 0` for `/503-once/<id>/after`), every other request with 200 and the HTTP version.
 */
function handler() {
  const seen = new Set()
  return (req, res) => {
    req.resume()
    req.on('end', () => {
      const once = req.url.startsWith('/503-once/') && !seen.has(req.url)
      seen.add(req.url)
      if (once) {
        res.writeHead(503, req.url.endsWith('/after') ? { 'retry-after': '0' } : {})
        res.end('later')
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end(`version ${req.httpVersion}`)
      }
    })
  }
}

/** `value` as JSON can carry it to the child (`Infinity` by name). */
const json = (value) => (value === Number.POSITIVE_INFINITY ? 'Infinity' : value)

/** The outcome each extreme gives, in EXTREMES' order: a status code or an error code. */
const OK = 200
const CASES = [
  { option: 'timeout', path: '/', expect: [OK, 'ETIMEDOUT', OK, OK, OK] },
  { option: 'idleTimeout', path: '/', expect: [OK, 'ETIMEDOUT', OK, OK, OK] },
  { option: 'maxBytesPerSecond', path: '/', expect: [OK, 'ERR_INVALID_ARG_VALUE', OK, OK, OK] },
  {
    option: 'maxResponseBytes',
    path: '/',
    expect: ['ERR_RESPONSE_TOO_LARGE', 'ERR_RESPONSE_TOO_LARGE', OK, OK, OK],
  },
  { option: 'maxRedirects', path: '/', expect: [OK, 'ERR_INVALID_ARG_VALUE', OK, OK, OK] },
  // 503 once, repeated at once: limit 0 keeps the 503; any larger limit gets the 200.
  {
    option: 'retry.limit',
    path: '/503-once',
    extra: { backoff: 0 },
    expect: [503, 'ERR_INVALID_ARG_VALUE', OK, OK, OK],
  },
  // A backoff of 100 years or more does not fit the 60 s deadline: the 503 is the result.
  { option: 'retry.backoff', path: '/503-once', expect: [OK, OK, 503, 503, 503] },
  // Retry-After: 0 is within any maxRetryAfter.
  {
    option: 'retry.maxRetryAfter',
    path: '/503-once',
    suffix: '/after',
    extra: { backoff: 0 },
    expect: [OK, OK, OK, OK, OK],
  },
]

/** Every case for the child: `{ label, options, expect }`, with a URL of its own. */
function cases(origin) {
  const list = []
  let id = 0
  for (const { option, path, suffix = '', extra, expect } of CASES) {
    EXTREMES.forEach((value, i) => {
      id += 1
      const [head, field] = option.split('.')
      const options = { url: `${origin}${path}/${id}${suffix}` }
      options[head] = field ? { ...extra, [field]: json(value) } : json(value)
      list.push({ label: `${option}: ${value}`, options, expect: expect[i] })
    })
  }
  // connectTimeout's smallest positive value fails a new connection and passes a pooled one
  // (which the earlier cases may have left): every other extreme is a limit that never fires.
  for (const value of EXTREMES.filter((v) => v !== 5e-324)) {
    id += 1
    const options = { url: `${origin}/${id}`, connectTimeout: json(value) }
    list.push({ label: `connectTimeout: ${value}`, options, expect: OK })
  }
  const everyMax = { url: `${origin}/max`, connectTimeout: Number.MAX_VALUE }
  for (const { option } of CASES) {
    const [head, field] = option.split('.')
    everyMax[head] = field ? { ...everyMax[head], [field]: Number.MAX_VALUE } : Number.MAX_VALUE
  }
  list.push(
    {
      label: 'maxBytesPerSecond: 1e-20',
      options: { url: `${origin}/`, maxBytesPerSecond: 1e-20 },
      expect: 'ERR_INVALID_ARG_VALUE',
    },
    { label: 'idleTimeout: 1e22', options: { url: `${origin}/`, idleTimeout: 1e22 }, expect: OK },
    { label: 'Number.MAX_VALUE for every numeric option', options: everyMax, expect: OK },
  )
  return list
}

/** Runs every case in a child process against `server`, and checks each outcome. */
async function runAll(t, server, origin, common, version) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections?.()
    server.close()
  })
  const list = cases(`${origin}:${server.address().port}`)
  const input = { filePath: file.path, common, cases: list.map(({ label, options }) => ({ label, options })) }
  const child = await runFixture('extreme-numbers.js', [JSON.stringify(input)], { timeoutMs: 120000 })
  t.false(child.timedOut)
  t.notRegex(child.stderr, /panick/i)
  const lines = jsonLines(child.stdout)
  t.is(lines.length, list.length, child.stderr)
  lines.forEach((line, i) => {
    const { label, expect } = list[i]
    t.is(line.label, label)
    t.is(line.status ?? line.code, expect, label)
    t.true(line.ms < 1000, `${label} settled in ${Math.round(line.ms)} ms`)
    if (line.status === OK) t.is(line.data, `version ${version}`, label)
  })
}

test('HTTP/1.1: every extreme number settles at once with the outcome of its rule', async (t) => {
  await runAll(t, http.createServer(handler()), 'http://127.0.0.1', {}, '1.1')
})

test('HTTP/2: every extreme number settles at once with the outcome of its rule', async (t) => {
  const certs = await createCertificates()
  const server = http2.createSecureServer({ key: certs.key, cert: certs.cert }, handler())
  await runAll(t, server, 'https://127.0.0.1', { ca: certs.ca, enableHttp2: true }, '2.0')
})
