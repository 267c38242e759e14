'use strict'

// Memory (README, Reliability): a never-ending response and a gzip bomb, refused at the default
// maxResponseBytes, raise peak RSS by well under 100 MiB; 20,000 sequential uploads with listeners
// keep memory flat. Each is measured in a child process of its own (fixtures/response-memory.js,
// fixtures/many-uploads.js), so that only its own work counts.

const path = require('node:path')
const test = require('ava')
const { makeTempFile } = require('../testing')
const { FIXTURES, jsonLine, runFixture, runNode, spawnNode } = require('./helpers/child.js')
const { rawServer } = require('./helpers/raw.js')
const { endlessResponder, gzipBomb } = require('./helpers/responses.js')
const { useServer, useTempFile } = require('./helpers/setup.js')

const KiB = 1024
const MiB = 1024 * KiB

const server = useServer(test)
const small = useTempFile(test, 4 * KiB, { name: 'small.bin' })

/** Runs fixtures/response-memory.js against `url` (after a warm-up upload); its report. */
async function responseMemory(t, url) {
  const warm = server.endpoint({ body: 'ok' })
  const report = jsonLine(t, await runFixture('response-memory.js', [warm.url, url, small.path], { timeoutMs: 60000 }))
  return { ...report, growth: report.hwmAfter - report.hwmBefore }
}

/** "VmHWM <before> MiB -> <after> MiB: +<growth> MiB" of a response-memory report. */
const hwmLine = (report) =>
  `VmHWM ${(report.hwmBefore / MiB).toFixed(1)} MiB -> ${(report.hwmAfter / MiB).toFixed(1)} MiB: +${(report.growth / MiB).toFixed(1)} MiB`

test.serial(
  'memory: a never-ending response with the default limit raises peak RSS by less than 100 MiB',
  async (t) => {
    const { state, onSocket } = endlessResponder()
    const { url } = await rawServer(t, onSocket)
    const report = await responseMemory(t, url)
    t.log(`${hwmLine(report)} (server wrote ${(state.written / MiB).toFixed(0)} MiB)`)
    t.is(report.outcome, 'failure')
    t.is(report.code, 'ERR_RESPONSE_TOO_LARGE')
    t.true(report.growth < 100 * MiB, `peak RSS grew by ${(report.growth / MiB).toFixed(1)} MiB`)
  },
)

test.serial('memory: a gzip bomb with the default limit raises peak RSS by less than 100 MiB', async (t) => {
  const body = await gzipBomb()
  const endpoint = server.endpoint({ headers: { 'Content-Encoding': 'gzip' }, body })
  const report = await responseMemory(t, endpoint.url)
  t.log(hwmLine(report))
  t.is(report.code, 'ERR_RESPONSE_TOO_LARGE')
  t.true(report.growth < 100 * MiB, `peak RSS grew by ${(report.growth / MiB).toFixed(1)} MiB`)
})

// Memory over many uploads. The child starts in the background with the file (it takes the
// longest), against a server in a third process that counts the requests.

const MANY = 20000
const CHECKPOINT = 2000
let many

// Its own file: hooks run concurrently, so `small` may not exist yet.
test.before(async () => {
  const file = await makeTempFile(4 * KiB, { name: 'many.bin' })
  const sink = spawnNode([path.join(FIXTURES, 'counting-sink.js')], { timeoutMs: 180000 })
  const url = await new Promise((resolve, reject) => {
    let text = ''
    sink.child.stdout.on('data', (chunk) => {
      text += chunk
      if (text.includes('\n')) resolve(text.split('\n')[0])
    })
    sink.done.then((run) => reject(new Error(`the sink exited early: ${run.stderr}`)), reject)
  })
  const run = runNode(['--expose-gc', path.join(FIXTURES, 'many-uploads.js'), url, file.path, MANY, CHECKPOINT], {
    timeoutMs: 170000,
  })
  const finished = run.finally(() => {
    sink.child.stdin.end()
  })
  const sinkDone = finished.then(() => sink.done)
  many = { run, sinkDone, cleanup: () => sinkDone.finally(() => file.remove()) }
})

test.after.always(() => many?.cleanup())

test('20,000 sequential uploads with listeners: RSS grows by less than 32 MiB from the 2,000th', async (t) => {
  const report = jsonLine(t, await many.run)
  const sinkRun = await many.sinkDone
  const early = report.rss[CHECKPOINT]
  const late = report.rss[MANY]
  const growth = late - early
  t.log(
    `RSS after ${CHECKPOINT}: ${(early / MiB).toFixed(1)} MiB, after ${MANY}: ${(late / MiB).toFixed(1)} MiB (+${(growth / MiB).toFixed(1)} MiB); ${report.ms} ms`,
  )
  t.deepEqual(jsonLine(t, sinkRun), { requests: MANY }, 'the server answered every upload')
  t.is(report.headers, MANY, 'every upload delivered its headers event')
  t.true(report.events >= MANY, 'every upload had at least its final progress event')
  t.true(growth < 32 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`)
})
