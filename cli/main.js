'use strict'

/**
 * `upload-task [options] <url> <file>`: the command. Parses the command line, runs one
 * `uploadFile`, shows its progress on stderr, writes the body (or `--json`, the result) on stdout,
 * aborts on Ctrl-C, and returns the exit status of cli/exit-codes.js. docs/CLI.md is its manual.
 */

const { version } = require('../package.json')
const { exitStatus, exitStatusForCode } = require('./exit-codes.js')
const { parseCommandLine, UsageError } = require('./options.js')
const { progressReporter } = require('./progress.js')
const { helpText, usageErrorText } = require('./usage.js')

/**
 * The streams and the process the command talks to: the process's own by default.
 * @typedef {object} Io
 * @property {NodeJS.WriteStream} stdout
 * @property {NodeJS.WriteStream} stderr
 * @property {NodeJS.Process} signals   where `SIGINT` is listened for
 */

/**
 * The library, loaded on first use, so that --help, --version and usage errors work even where
 * the native binary is missing.
 */
function library() {
  return require('..')
}

/** What is written on stdout for a response, and the exit status, given the flags. */
function answer(result, { fail, json }) {
  if (fail && result.statusCode >= 400) {
    return {
      stdout: '',
      stderr: `upload-task: the server answered with status ${result.statusCode} (--fail)\n`,
      status: exitStatus('fail'),
    }
  }
  return { stdout: json ? `${JSON.stringify(result, null, 2)}\n` : result.data, stderr: '', status: exitStatus('ok') }
}

/** The stderr line and exit status of a failed upload (or of a thrown bug). */
function failure(error) {
  if (!library().isUploadError(error)) {
    return { stderr: `upload-task: unexpected error: ${error?.stack ?? error}\n`, status: exitStatus('internal') }
  }
  return { stderr: `upload-task: ${error.errMsg} (${error.code})\n`, status: exitStatusForCode(error.code) }
}

/**
 * Runs `uploadFile`, with progress and Ctrl-C handling, and settles with what to print and the
 * exit status. The first SIGINT aborts the upload; the listener is removed once it settled.
 */
async function upload(command, io) {
  const reporter = progressReporter(io.stderr, { quiet: command.quiet })
  const task = library().uploadFile(command.upload)
  const interrupt = () => task.abort()
  io.signals.on('SIGINT', interrupt)
  task.onProgressUpdate((event) => reporter.update(event))
  try {
    return answer(await task, command)
  } catch (error) {
    return { stdout: '', ...failure(error) }
  } finally {
    io.signals.off('SIGINT', interrupt)
    reporter.stop()
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
  const outcome = await upload(command, io)
  if (outcome.stdout) io.stdout.write(outcome.stdout)
  if (outcome.stderr) io.stderr.write(outcome.stderr)
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
      // A missing native binary says what to do in its message; anything else is a bug.
      const text =
        error?.code === 'ERR_UPLOAD_TASK_NO_BINARY' ? error.message : `unexpected error: ${error?.stack ?? error}`
      process.stderr.write(`upload-task: ${text}\n`)
      process.exitCode = exitStatus('internal')
    },
  )
}

module.exports = { run, main }
