'use strict'

/**
 * Runs the command line, bin/upload-task.js, as a child process for the CLI tests
 * (__test__/cli*.test.js): to its end, or under a pseudo-terminal; every child is SIGKILLed after
 * its deadline.
 */

const { spawn } = require('node:child_process')
const path = require('node:path')
const { spawnNode, PACKAGE_DIR } = require('./child.js')

/** The script of the command. */
const CLI = path.join(PACKAGE_DIR, 'bin', 'upload-task.js')

/** How long a CLI run may take before it is SIGKILLed (generous: the suite runs files in parallel). */
const RUN_TIMEOUT_MS = 30000

/**
 * Runs the CLI with `args` to its end.
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv }} [options]
 */
function cli(args, { env } = {}) {
  return spawnNode([CLI, ...args], { timeoutMs: RUN_TIMEOUT_MS, ...(env && { env }) }).done
}

/** `text` quoted for `sh`. */
function shellQuote(text) {
  return `'${text.replaceAll("'", "'\\''")}'`
}

/**
 * Runs the CLI under a pseudo-terminal with `script` (util-linux's syntax); resolves with what
 * the terminal showed (stdout and stderr together) and the CLI's exit status (`script -e`).
 */
function cliOnTerminal(args) {
  const command = [process.execPath, CLI, ...args].map(shellQuote).join(' ')
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: PACKAGE_DIR, stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (text) => {
    output += text
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      child.stdin.destroy()
      resolve({ code, signal, output })
    })
  })
}

/**
 * Asserts the exit status of a run that ended by itself, and that no message on stderr carries
 * the command's prefix twice.
 */
function assertExit(t, run, status) {
  t.false(run.timedOut, 'the CLI exited by itself')
  t.is(run.signal, null)
  t.is(run.code, status, `exit status; stderr: ${run.stderr}`)
  t.false(run.stderr.includes('upload-task: upload-task:'), `a doubled prefix: ${run.stderr}`)
}

module.exports = { CLI, RUN_TIMEOUT_MS, cli, cliOnTerminal, assertExit }
