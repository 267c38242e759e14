'use strict'

/**
 * Certificates for a TLS test server, made at test time with the `openssl` command: a private
 * CA, and a server certificate for 127.0.0.1 and localhost signed by it (EC P-256 keys, fast).
 * Nothing trusts the CA unless a test hands it to a client on purpose.
 */

const { execFile } = require('node:child_process')
const fsp = require('node:fs/promises')
const os = require('node:os')
const path = require('node:path')
const { promisify } = require('node:util')

const run = promisify(execFile)

/**
 * PEM texts of a generated CA and of a server certificate signed by it.
 * @typedef {object} Certificates
 * @property {string} ca    the CA's certificate: what a client must trust
 * @property {string} cert  the server certificate (subjectAltName IP:127.0.0.1, DNS:localhost)
 * @property {string} key   the server certificate's private key
 */

const SERVER_EXTENSIONS = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=serverAuth',
  'subjectAltName=IP:127.0.0.1,DNS:localhost',
].join('\n')

/** Runs `openssl ...args` in `cwd`; the error names the command if it fails. */
async function openssl(cwd, args) {
  try {
    await run('openssl', args, { cwd })
  } catch (error) {
    throw new Error(`openssl ${args[0]} failed (is the openssl command installed?): ${error.stderr || error.message}`)
  }
}

/** Generates a fresh CA and server certificate in a temp dir, reads them, removes the dir. */
async function generate() {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'upload-task-tls-'))
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  try {
    await openssl(dir, [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=upload-task test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ])
    await openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'])
    await fsp.writeFile(path.join(dir, 'server.ext'), SERVER_EXTENSIONS)
    await openssl(dir, [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'server.ext',
      '-out',
      'server.pem',
    ])
    const read = (name) => fsp.readFile(path.join(dir, name), 'utf8')
    return { ca: await read('ca.pem'), cert: await read('server.pem'), key: await read('server.key') }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true })
  }
}

let cached

/**
 * The certificates of this process: generated on the first call (a few tens of milliseconds),
 * the same ones afterwards.
 * @returns {Promise<Certificates>}
 */
function createCertificates() {
  cached ??= generate()
  cached.catch(() => {
    cached = undefined // let a later call try again
  })
  return cached
}

module.exports = { createCertificates }
