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

/** Runs `make(dir)` in a fresh temp dir, then returns `read(name)` of each of `names`; removes the dir. */
async function inTempDir(make, names) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'upload-task-tls-'))
  try {
    await make(dir)
    const texts = {}
    for (const [key, name] of Object.entries(names)) texts[key] = await fsp.readFile(path.join(dir, name), 'utf8')
    return texts
  } finally {
    await fsp.rm(dir, { recursive: true, force: true })
  }
}

/** Generates a fresh CA and server certificate in a temp dir, reads them, removes the dir. */
function generate() {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  return inTempDir(
    async (dir) => {
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
    },
    { ca: 'ca.pem', cert: 'server.pem', key: 'server.key' },
  )
}

/** The `openssl ca` settings that sign an already expired self-signed certificate. */
const EXPIRED_CA_CONFIG = [
  '[ca]',
  'default_ca = expired',
  '[expired]',
  'database = index.txt',
  'new_certs_dir = .',
  'default_md = sha256',
  'policy = any',
  'rand_serial = yes',
  '[any]',
  'commonName = supplied',
].join('\n')

/**
 * A self-signed server certificate as the usual `openssl req -x509 -newkey rsa:2048 -nodes
 * -subj /CN=… -addext subjectAltName=…` makes it: OpenSSL marks it a CA (`CA:TRUE`). With
 * `expired`, the same kind of certificate valid for one day in 2020 only (`openssl ca -selfsign`).
 * @param {{ subjectAltName: string, expired?: boolean }} options   e.g. `'DNS:localhost'`
 * @returns {Promise<{ cert: string, key: string }>}
 */
function createSelfSigned({ subjectAltName, expired = false }) {
  const subject = ['-subj', '/CN=localhost']
  return inTempDir(
    async (dir) => {
      if (!expired) {
        const usual = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem']
        await openssl(dir, [...usual, '-days', '2', ...subject, '-addext', `subjectAltName=${subjectAltName}`])
        return
      }
      await fsp.writeFile(path.join(dir, 'ca.cnf'), EXPIRED_CA_CONFIG)
      await fsp.writeFile(path.join(dir, 'index.txt'), '')
      await fsp.writeFile(
        path.join(dir, 'ext.cnf'),
        `basicConstraints=critical,CA:TRUE\nsubjectAltName=${subjectAltName}\n`,
      )
      await openssl(dir, [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'key.pem',
        '-out',
        'cert.csr',
        ...subject,
      ])
      const dates = ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']
      const sign = ['ca', '-batch', '-selfsign', '-config', 'ca.cnf', '-keyfile', 'key.pem', '-in', 'cert.csr']
      await openssl(dir, [...sign, '-out', 'cert.pem', ...dates, '-extfile', 'ext.cnf', '-notext'])
    },
    { cert: 'cert.pem', key: 'key.pem' },
  )
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

module.exports = { createCertificates, createSelfSigned }
