'use strict'

// The stack of an `UploadError` ends at the line that called `uploadFile` (docs/API.md §9.1),
// although the error is made later, when the upload settles in a promise job: a refused
// connection (a port that was listened on and closed) and a parameter error both name this file
// and the line of the call.

const fs = require('node:fs')
const test = require('ava')
const { uploadFile, isUploadError } = require('../index.js')
const { closedPort } = require('../testing')
const { useTempFile } = require('./helpers/setup.js')
const { failureOf } = require('./helpers/wait.js')

const file = useTempFile(test, 1024, { name: 'stack.bin' })

/** The 1-based number of the line of this file that holds `marker`. */
function lineOf(marker) {
  const lines = fs.readFileSync(__filename, 'utf8').split('\n')
  const index = lines.findIndex((line) => line.includes(marker) && !line.includes('lineOf('))
  if (index < 0) throw new Error(`no line holds ${marker}`)
  return index + 1
}

/** Calls `uploadFile` from a function of this file, so that the stack has a frame to show. */
function uploadToRefusedPort(port) {
  return uploadFile({ url: `http://127.0.0.1:${port}/`, filePath: file.path, name: 'file' }) // caller: refused
}

test('a refused connection: the stack names the file and the line that called uploadFile', async (t) => {
  const error = await failureOf(uploadToRefusedPort(await closedPort()))
  t.true(isUploadError(error))
  t.is(error.code, 'ECONNREFUSED')
  const frames = error.stack.split('\n').slice(1)
  const caller = frames.find((frame) => frame.includes(__filename))
  t.truthy(caller, `no frame of ${__filename} in:\n${error.stack}`)
  t.true(caller.includes(`${__filename}:${lineOf('// caller: refused')}:`), caller)
  t.regex(caller, /^ {4}at uploadToRefusedPort /)
  t.true(error.stack.startsWith(`UploadError: ${error.errMsg}\n`), error.stack)
})

test('the message stays one line, equal to errMsg, without the stack', async (t) => {
  const error = await failureOf(uploadToRefusedPort(await closedPort()))
  t.is(error.message, error.errMsg)
  t.false(error.errMsg.includes('\n'))
  t.false(error.errMsg.includes(__filename))
})

test('a parameter error names the calling line too', async (t) => {
  const error = await failureOf(uploadFile({ url: 42, filePath: file.path, name: 'file' })) // caller: parameter
  t.is(error.code, 'ERR_INVALID_ARG_TYPE')
  t.true(error.stack.includes(`${__filename}:${lineOf('// caller: parameter')}:`), error.stack)
})
