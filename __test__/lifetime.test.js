'use strict'

// Process and thread lifetime (docs/API.md §8) and the ESM entry (docs/API.md §1), in child
// processes against a server in this process. A child that hangs is SIGKILLed after 15 s and
// fails.

const path = require('node:path')
const test = require('ava')
const { uploadFile, UploadTask } = require('../index.js')
const { closedPort, within } = require('../testing')
const { runFixture, runNode, spawnNode, FIXTURES, PACKAGE_DIR } = require('./helpers/child.js')
const { useServer, useTempFile } = require('./helpers/setup.js')

const MiB = 1024 * 1024

const server = useServer(test)
const small = useTempFile(test, 256 * 1024, { name: 'small.bin' })
const medium = useTempFile(test, 16 * MiB, { name: 'medium.bin' })

/** A slow reader: TCP backpressure holds the client mid-body. */
const SLOW = { readDelayMs: 20 }

/** Asserts that a child exited by itself with code 0, no signal and nothing on stderr. */
function assertCleanExit(t, run) {
  t.false(run.timedOut, 'the child exited by itself (it was not killed after the deadline)')
  t.is(run.signal, null)
  t.is(run.code, 0)
  t.is(run.stderr, '')
}

test('a pending upload nobody awaits keeps the process alive until it settles, then the process exits', async (t) => {
  const endpoint = server.endpoint({ delayMs: 1000 })
  const run = await runFixture('pending-upload.js', [endpoint.url, small.path])
  assertCleanExit(t, run)
  t.is(run.stdout, '200\n', 'the child lived to see the response')
  const rec = await endpoint.received()
  t.is(rec.file.sha256, small.sha256)
})

test('after the last upload settles, whatever the outcome, the process exits by itself', async (t) => {
  const urls = {
    ok: server.endpoint().url,
    notFound: server.endpoint({ status: 404 }).url,
    silent: server.endpoint({ respond: false }).url,
    refused: `http://127.0.0.1:${await closedPort()}/`,
  }
  const run = await runFixture('settle-all.js', [urls.ok, urls.notFound, urls.silent, urls.refused, small.path])
  assertCleanExit(t, run)
  t.deepEqual(run.stdout.trim().split('\n'), [
    '200',
    '404',
    'ECONNREFUSED',
    'ABORT_ERR',
    'ETIMEDOUT',
    'ERR_INVALID_ARG_VALUE',
    'ENOENT',
    '200',
    'done',
  ])
})

for (const [mode, behaviour] of [
  ['at-start', {}],
  ['mid-body', SLOW],
  ['awaiting-response', { respond: false }],
]) {
  test(`process.exit(0) with an upload in flight (${mode}) exits cleanly`, async (t) => {
    const runs = await Promise.all(
      [1, 2].map(async () => {
        const endpoint = server.endpoint(behaviour)
        const { child, done } = spawnNode([path.join(FIXTURES, 'exit-in-flight.js'), mode, endpoint.url, medium.path])
        if (mode === 'awaiting-response') {
          // Tell the child to exit once the whole body has arrived here.
          endpoint.received().then((rec) => rec.completed && child.stdin.write('exit\n'))
        }
        return done
      }),
    )
    for (const run of runs) {
      assertCleanExit(t, run)
      t.is(run.stdout, `exiting ${mode}\n`)
    }
  })
}

test('a worker thread whose upload settled exits by itself, and so does the process', async (t) => {
  const run = await runFixture('worker-upload.js', [server.endpoint().url, small.path])
  assertCleanExit(t, run)
  t.is(run.stdout, 'worker 200\nworker exited 0\n')
})

test('terminating a worker mid-upload never crashes; the main thread then uploads and exits with 0', async (t) => {
  const run = await runFixture('worker-terminate.js', [server.endpoint(SLOW).url, server.endpoint().url, medium.path])
  assertCleanExit(t, run)
  t.regex(run.stdout, /^terminated at \d+%\n200\n$/)
})

test('terminating a worker stops its upload: the server sees that connection close before the whole body', async (t) => {
  const endpoint = server.endpoint(SLOW)
  let mainDone
  const mainUploaded = new Promise((resolve) => {
    mainDone = resolve
  })
  const { child, done } = spawnNode(
    [path.join(FIXTURES, 'worker-terminate.js'), endpoint.url, server.endpoint().url, medium.path, 'hold'],
    { onStdout: (stdout) => /\n200\n$/.test(stdout) && mainDone() },
  )
  try {
    await within(mainUploaded, 15000, 'the main thread’s upload after terminate()')
    const rec = await endpoint.arrived
    rec.unthrottle() // an orphaned upload would now finish quickly
    await within(rec.finished, 5000, 'the end of the worker’s request')
    t.false(rec.completed, `the worker’s upload went on after terminate(): ${rec.bytesReceived} of its bytes arrived`)
    t.true(rec.closedEarly)
  } finally {
    child.stdin.end()
    const run = await done
    assertCleanExit(t, run)
  }
})

test('ESM: import { uploadFile, UploadTask } gives the same objects as require, and uploads', async (t) => {
  const indexMjs = path.join(PACKAGE_DIR, 'index.mjs')
  const indexJs = path.join(PACKAGE_DIR, 'index.js')
  const source = `
    import { uploadFile, UploadTask } from 'upload-task'
    import * as byPath from ${JSON.stringify(indexMjs)}
    import byDefault from 'upload-task'
    import { createRequire } from 'node:module'
    const require = createRequire(import.meta.url)
    const cjs = require(${JSON.stringify(indexJs)})
    const selfRequired = require('upload-task')
    console.log(JSON.stringify({
      sameUploadFile: uploadFile === cjs.uploadFile && byPath.uploadFile === cjs.uploadFile && selfRequired.uploadFile === cjs.uploadFile,
      sameUploadTask: UploadTask === cjs.UploadTask && byPath.UploadTask === cjs.UploadTask,
      defaultIsCjs: byDefault === cjs,
    }))
    const result = await uploadFile({ url: process.argv[1], filePath: process.argv[2], name: 'file' })
    console.log(result.statusCode)
  `
  const run = await runNode(['--input-type=module', '-e', source, server.endpoint().url, small.path], {
    cwd: PACKAGE_DIR,
  })
  assertCleanExit(t, run)
  const [identity, status] = run.stdout.trim().split('\n')
  t.deepEqual(JSON.parse(identity), { sameUploadFile: true, sameUploadTask: true, defaultIsCjs: true })
  t.is(status, '200')
  t.is(typeof uploadFile, 'function')
  t.is(typeof UploadTask, 'function')
})
