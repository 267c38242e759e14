'use strict'

/**
 * Starts the HTTP/3 test server (`h3_server.py`, Python's aioquic, installed by
 * `scripts/h3-server.sh`) on 127.0.0.1 with a certificate made at test time, and follows the
 * events it prints.
 */

const { execFileSync, spawn } = require('node:child_process')
const fsp = require('node:fs/promises')
const os = require('node:os')
const path = require('node:path')
const readline = require('node:readline')

const ROOT = path.join(__dirname, '..', '..')

/** The Python of the server's virtual environment, installed when missing (a few seconds). */
function python() {
  return execFileSync('bash', [path.join(ROOT, 'scripts', 'h3-server.sh')], { cwd: ROOT, encoding: 'utf8' }).trim()
}

/**
 * One running HTTP/3 server.
 * @typedef {object} H3Server
 * @property {number} port                         its UDP port on 127.0.0.1
 * @property {string} url                          `https://127.0.0.1:<port>/up`
 * @property {object[]} events                     the `end` / `reset` events so far, in order
 * @property {(test: (e: object) => boolean, ms?: number) => Promise<object>} waitFor
 *   the first event (past or future) that passes `test`; rejects after `ms` (default 10 s)
 * @property {() => Promise<void>} close           stops it
 */

/**
 * Starts a server with `certs.cert` / `certs.key` (testing's `createCertificates()`); with
 * `maxStreams`, a connection may have at most that many request streams open at once.
 * @param {{ cert: string, key: string }} certs
 * @param {{ maxStreams?: number }} [options]
 * @returns {Promise<H3Server>}
 */
async function startH3Server(certs, { maxStreams } = {}) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'upload-task-h3-'))
  await fsp.writeFile(path.join(dir, 'cert.pem'), certs.cert)
  await fsp.writeFile(path.join(dir, 'key.pem'), certs.key)
  const args = [
    path.join(__dirname, 'h3_server.py'),
    'cert.pem',
    'key.pem',
    ...(maxStreams ? [String(maxStreams)] : []),
  ]
  const child = spawn(python(), args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const events = []
  const waiters = new Set()
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the HTTP/3 server exited with ${code} before it was ready`)))
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const event = JSON.parse(line)
      if (event.event === 'ready') return resolve(event.port)
      events.push(event)
      for (const waiter of waiters) waiter(event)
    })
  })
  const port = await ready
  const waitFor = (match, ms = 10000) =>
    new Promise((resolve, reject) => {
      const found = events.find(match)
      if (found) return resolve(found)
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`no such HTTP/3 server event within ${ms} ms; events: ${JSON.stringify(events)}`))
      }, ms)
      const check = (event) => {
        if (!match(event)) return
        clearTimeout(timer)
        waiters.delete(check)
        resolve(event)
      }
      waiters.add(check)
    })
  const close = async () => {
    child.kill()
    await exited
    await fsp.rm(dir, { recursive: true, force: true })
  }
  return { port, url: `https://127.0.0.1:${port}/up`, events, waitFor, close }
}

module.exports = { startH3Server }
