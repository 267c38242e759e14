'use strict'

// Callback-style failures (README, Reliability): `uploadFile({ …, success })` with neither `fail`
// nor `complete`, as mini-program code is often written, does not crash the process with an
// unhandled rejection: the failure is reported as a warning, and `.catch()` still sees it. In a
// child process (fixtures/callback-style.js), where an unhandled rejection would end it.

const test = require('ava')
const { closedPort } = require('../testing')
const { jsonLines, runFixture } = require('./helpers/child.js')
const { useTempFile } = require('./helpers/setup.js')

const small = useTempFile(test, 4 * 1024, { name: 'small.bin' })

/** Runs the fixture in `mode` against a closed port; its exit and the JSON lines it printed. */
async function runCallbackStyle(mode) {
  const url = `http://127.0.0.1:${await closedPort()}/up`
  const run = await runFixture('callback-style.js', [mode, url, small.path], { timeoutMs: 20000 })
  return { run, events: jsonLines(run.stdout) }
}

test('a failure with only a success callback does not crash the process and is reported as a warning', async (t) => {
  const { run, events } = await runCallbackStyle('success-only')
  t.false(run.timedOut)
  t.is(run.code, 0, `the process exits normally; stderr: ${run.stderr}`)
  t.false(
    events.some((e) => e.success),
    'success is not called',
  )
  const warnings = events.filter((e) => e.warning).map((e) => e.warning)
  t.is(warnings.length, 1, JSON.stringify(warnings))
  const [warning] = warnings
  t.is(warning?.name, 'UploadTaskWarning')
  t.true(warning?.message.includes(`uploadFile:fail `), warning?.message)
  t.true(warning?.message.includes('ECONNREFUSED') || warning?.message.includes('refused'), warning?.message)
  t.is(warning?.code, 'UPLOAD_TASK_UNHANDLED_FAILURE')
})

test('a failure with a success callback still reaches .catch()', async (t) => {
  const { run, events } = await runCallbackStyle('success-catch')
  t.false(run.timedOut)
  t.is(run.code, 0, `stderr: ${run.stderr}`)
  const caught = events.filter((e) => e.caught).map((e) => e.caught)
  t.is(caught.length, 1)
  t.is(caught[0].code, 'ECONNREFUSED')
  t.true(caught[0].errMsg.startsWith('uploadFile:fail '))
  t.false(events.some((e) => e.success))
  t.deepEqual(events.at(-1), { exit: 0 })
})
