'use strict'

/**
 * `upload-task`: the command. Parses the command line, runs one `uploadFile`, shows its progress
 * (and with `-v` the heads) on stderr, writes the body (or `--json`, the result) on stdout or to
 * `-o <file>`, aborts on Ctrl-C, and returns the exit status of
 * cli/exit-codes.js. docs/CLI.md is its manual.
 */

const fs = require('node:fs')
const { version } = require('../package.json')
const { exitStatus, exitStatusForCode } = require('./exit-codes.js')
const { parseCommandLine, UsageError } = require('./options.js')
const { progressReporter } = require('./progress.js')
const { helpText, messageLine, usageErrorText } = require('./usage.js')
const { requestHead, responseHead } = require('./verbose.js')

/** The codes of the errors that loading the library can throw (lib/native.js, lib/engine.js). */
const LOAD_ERRORS = new Set(['ERR_UPLOAD_TASK_NO_BINARY', 'ERR_UPLOAD_TASK_NODE_VERSION'])

/**
 * The streams and the process the command talks to: the process's own by default.
 * @typedef {object} Io
 * @property {NodeJS.WriteStream} stdout
 * @property {NodeJS.WriteStream} stderr
 * @property {NodeJS.Process} signals   where `SIGINT` is listened for
 */

/**
 * How an upload ended: the body to write (absent when there is none), the error message (absent
 * when there is none) and the exit status.
 * @typedef {{ body?: string, message?: string, status: number }} Outcome
 */

/**
 * The library, loaded on first use, so that --help, --version and usage errors work even where
 * the native binary is missing.
 */
function library() {
  return require('..')
}

/** @returns {Outcome} what a response gives, given the flags. */
function answer(result, { fail, json }) {
  if (fail && result.statusCode >= 400) {
    return { message: `the server answered with status ${result.statusCode} (--fail)`, status: exitStatus('fail') }
  }
  return { body: json ? `${JSON.stringify(result, null, 2)}\n` : result.data, status: exitStatus('ok') }
}

/**
 * @param {unknown} error   what the upload was rejected with
 * @param {{ upload: { proxy?: string | false } }} command
 * @returns {Outcome}
 */
function failure(error, { upload }) {
  if (!library().isUploadError(error)) {
    return { message: `unexpected error: ${error?.stack ?? error}`, status: exitStatus('internal') }
  }
  const where = error.phase === undefined ? '' : `, phase ${error.phase}`
  // A proxy that did not open the connection is curl's 97 through SOCKS, 56 through HTTP.
  const socks = error.code === 'ERR_PROXY' && /^socks/i.test(upload.proxy || '')
  const status = socks ? exitStatus('socks') : exitStatusForCode(error.code)
  return { message: `${error.errMsg} (${error.code}${where})`, status }
}

/**
 * Runs `uploadFile`, with progress and Ctrl-C handling, and settles with
 * whether it succeeded, its result or error, and the response headers seen. The first SIGINT
 * aborts the upload; the listener is removed, and the progress stopped, once it settled.
 */
async function settle(command, io) {
  const reporter = progressReporter(io.stderr, { quiet: !command.progress })
  const task = library().uploadFile(command.upload)
  const interrupt = () => task.abort()
  io.signals.on('SIGINT', interrupt)
  task.onProgressUpdate((event) => reporter.update(event))
  let headers
  task.onHeadersReceived(({ header }) => {
    headers = header
  })
  try {
    return { ok: true, result: await task }
  } catch (error) {
    return { ok: false, error, headers }
  } finally {
    io.signals.off('SIGINT', interrupt)
    reporter.stop()
  }
}

/**
 * Runs the upload, with the heads on stderr for `-v` (after the progress, which has stopped by
 * then), and settles with its outcome.
 * @returns {Promise<Outcome>}
 */
async function upload(command, io) {
  const verbose = (text) => command.verbose && io.stderr.write(`${text}\n`)
  verbose(requestHead(command.upload))
  const settled = await settle(command, io)
  if (settled.ok) {
    verbose(responseHead(settled.result.statusCode, settled.result.header))
    return answer(settled.result, command)
  }
  if (settled.headers) verbose(responseHead(undefined, settled.headers))
  return failure(settled.error, command)
}

/**
 * Writes the body to `-o <file>`, or to stdout.
 * @returns {Outcome | null}   the failure to write the file, if any
 */
function deliver(body, command, io) {
  if (command.output === undefined) {
    io.stdout.write(body)
    return null
  }
  try {
    fs.writeFileSync(command.output, body)
    return null
  } catch (error) {
    return {
      message: `cannot write --output ${JSON.stringify(command.output)}: ${error.message}`,
      status: exitStatus('write'),
    }
  }
}

/**
 * Runs the command for `argv` (the arguments after the script) and resolves with its exit
 * status. Rejects only when the library cannot be loaded (no native binary for this machine).
 * @param {string[]} argv
 * @param {Io} [io]
 * @returns {Promise<number>}
 */
async function run(argv, io = { stdout: process.stdout, stderr: process.stderr, signals: process }) {
  let command
  try {
    command = parseCommandLine(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.stderr.write(usageErrorText(error.message))
    return exitStatus('usage')
  }
  if (command.action === 'help') {
    io.stdout.write(helpText())
    return exitStatus('ok')
  }
  if (command.action === 'version') {
    io.stdout.write(`${version}\n`)
    return exitStatus('ok')
  }
  let outcome = await upload(command, io)
  if (outcome.body !== undefined) outcome = deliver(outcome.body, command, io) ?? outcome
  if (outcome.message !== undefined && command.showErrors) io.stderr.write(messageLine(outcome.message))
  return outcome.status
}

/** The entry point of bin/upload-task.js: runs with `process.argv` and sets the exit code. */
function main() {
  // A closed stdout (`upload-task … | head -c 10`) ends the output, not the process with a trace.
  process.stdout.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error
  })
  run(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status
    },
    (error) => {
      // A missing native binary, or a Node below the floor, says what to do in its message;
      // anything else is a bug.
      const text = LOAD_ERRORS.has(error?.code) ? error.message : `unexpected error: ${error?.stack ?? error}`
      process.stderr.write(messageLine(text))
      process.exitCode = exitStatus('internal')
    },
  )
}

module.exports = { run, main }
