'use strict'

/** Runs child processes (Node.js, or another command) for the tests with a hard deadline, and reads what they print. */

const { spawn } = require('node:child_process')
const path = require('node:path')

/** Directory of the fixture scripts. */
const FIXTURES = path.join(__dirname, '..', 'fixtures')
/** The package root (where package.json is). */
const PACKAGE_DIR = path.join(__dirname, '..', '..')

/**
 * Spawns `command ...args` and resolves when it exits, or SIGKILLs it after `timeoutMs` (then
 * `timedOut` is true). `onStdout(text, child)` sees stdout as it arrives.
 * @returns {{ child: import('node:child_process').ChildProcess, done: Promise<{ code: number|null, signal: string|null, stdout: string, stderr: string, timedOut: boolean }> }}
 */
function spawnProcess(command, args, { timeoutMs = 15000, cwd = PACKAGE_DIR, onStdout, env = process.env } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let timedOut = false
  child.stdout.setEncoding('utf8').on('data', (text) => {
    stdout += text
    if (onStdout) onStdout(stdout, child)
  })
  child.stderr.setEncoding('utf8').on('data', (text) => {
    stderr += text
  })
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, timeoutMs)
  const done = new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, timedOut })
    })
  })
  return { child, done }
}

/** Spawns `node ...args` with this process's Node.js binary; see spawnProcess. */
function spawnNode(args, options) {
  return spawnProcess(process.execPath, args, options)
}

/** Runs `node ...args` to its end; see spawnNode. */
function runNode(args, options) {
  return spawnNode(args, options).done
}

/** Runs the fixture script `name` with `args`. */
function runFixture(name, args = [], options) {
  return runNode([path.join(FIXTURES, name), ...args], options)
}

/** The JSON lines a child printed, parsed. */
function jsonLines(stdout) {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

/** Checks that the child `run` exited normally, and parses the last line it printed as JSON. */
function jsonLine(t, run) {
  t.false(run.timedOut, `the child timed out; stderr: ${run.stderr}`)
  t.is(run.code, 0, `the child failed; stderr: ${run.stderr}`)
  return JSON.parse(run.stdout.trim().split('\n').at(-1))
}

module.exports = { spawnProcess, spawnNode, runNode, runFixture, jsonLines, jsonLine, FIXTURES, PACKAGE_DIR }
