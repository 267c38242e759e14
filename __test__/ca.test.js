'use strict'

// `ca` (docs/API.md §2): extra trusted roots for one upload, added to the system's roots, against
// a TLS server whose CA is generated at test time; other uploads keep trusting only the system.

const { execFileSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { within } = require('../testing')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { outcomeOf } = require('./helpers/wait.js')

const file = useTempFile(test, 64 * 1024, { name: 'ca.bin' })

const tls = useServer(test, { tls: true })

/** An upload of `file` with `options`, settled (bounded): `{ res }` or `{ error }`. */
const upload = (options) => outcomeOf(uploadFile({ filePath: file.path, name: 'file', ...options }))

test('with the server CA as `ca` (string, Buffer, or in an array) the upload succeeds, byte-exact', async (t) => {
  for (const ca of [tls.ca, Buffer.from(tls.ca), [tls.ca], [Buffer.from(tls.ca)]]) {
    const endpoint = tls.endpoint()
    const { res, error } = await upload({ url: endpoint.url, ca })
    t.falsy(error, error?.errMsg)
    t.is(res.statusCode, 200)
    t.is((await endpoint.received()).file.sha256, file.sha256)
  }
})

test('`ca` is for that upload only: without it the same server is rejected, before and after', async (t) => {
  const before = await upload({ url: tls.endpoint().url })
  t.is(before.error?.code, 'ERR_TLS_CERT_INVALID')
  const withCa = await upload({ url: tls.endpoint().url, ca: tls.ca })
  t.is(withCa.res?.statusCode, 200)
  const after = await upload({ url: tls.endpoint().url })
  t.is(after.error?.code, 'ERR_TLS_CERT_INVALID')
})

test('another CA does not make the server trusted', async (t) => {
  // Certificates are made once per process: a child process makes another CA.
  const other = execFileSync(
    process.execPath,
    ['-e', "require('./testing/tls.js').createCertificates().then((c) => process.stdout.write(c.ca))"],
    { cwd: path.join(__dirname, '..'), encoding: 'utf8' },
  )
  t.true(other.includes('BEGIN CERTIFICATE') && other !== tls.ca, 'a second, different CA')
  const { error } = await upload({ url: tls.endpoint().url, ca: other })
  t.is(error?.code, 'ERR_TLS_CERT_INVALID')
})

test('`ca` values: not PEM is ERR_INVALID_ARG_VALUE, a number ERR_INVALID_ARG_TYPE; nothing is sent', async (t) => {
  const endpoint = tls.endpoint()
  const notPem = await upload({ url: endpoint.url, ca: 'hello' })
  t.is(notPem.error?.code, 'ERR_INVALID_ARG_VALUE')
  t.regex(notPem.error.errMsg, /parameter\.ca/)
  const number = await upload({ url: endpoint.url, ca: 42 })
  t.is(
    number.error?.errMsg,
    'uploadFile:fail parameter error: parameter.ca should be String or Buffer instead of Number',
  )
  const inArray = await upload({ url: endpoint.url, ca: [tls.ca, 1] })
  t.is(inArray.error?.code, 'ERR_INVALID_ARG_TYPE')
  t.deepEqual(endpoint.records(), [])
})

/**
 * Runs `script` in a fresh Node process (cwd: the package, so `require('./index.js')` loads it)
 * with `args` and these environment variables added; resolves with what it wrote to stdout.
 */
async function inChild(script, args, env = {}) {
  const child = spawn(process.execPath, ['-e', script, ...args], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, ...env },
  })
  let out = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  await within(new Promise((resolve) => child.on('close', resolve)), 15000, 'the child')
  return out
}

/** A child's upload of its argv[2] to argv[1], with `options` (source text); prints the status or the code. */
const childUpload = (options = '') =>
  `require('./index.js').uploadFile({ url: process.argv[1], filePath: process.argv[2], name: 'file', ${options} })
    .then((r) => process.stdout.write(String(r.statusCode)), (e) => process.stdout.write(e.code))`

/** A temp dir for the test, removed after it. */
function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upload-task-ca-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('SSL_CERT_FILE replaces the system roots (in a child process): the server is trusted without `ca`', async (t) => {
  const caFile = path.join(tempDir(t), 'ca.pem')
  fs.writeFileSync(caFile, tls.ca)
  const out = await inChild(childUpload(), [tls.endpoint().url, file.path], { SSL_CERT_FILE: caFile })
  t.is(out, '200')
})

test('SSL_CERT_FILE set after the module loaded still applies to the first upload (roots are read then)', async (t) => {
  const caFile = path.join(tempDir(t), 'ca.pem')
  fs.writeFileSync(caFile, tls.ca)
  const script = `const up = require('./index.js'); process.env.SSL_CERT_FILE = process.argv[3]; ${childUpload()}`
  const out = await inChild(script.replace("require('./index.js').uploadFile", 'up.uploadFile'), [
    tls.endpoint().url,
    file.path,
    caFile,
  ])
  t.is(out, '200')
})

test('the first upload of a fresh process verifies the certificate: rejected without `ca`, byte-exact with it', async (t) => {
  // The system's roots are still loading in the background when these first uploads start.
  const refused = tls.endpoint()
  t.is(await inChild(childUpload(), [refused.url, file.path]), 'ERR_TLS_CERT_INVALID')
  t.deepEqual(refused.records(), [])
  const trusted = tls.endpoint()
  t.is(await inChild(childUpload('ca: process.argv[3]'), [trusted.url, file.path, tls.ca]), '200')
  t.is((await trusted.received()).file.sha256, file.sha256)
})

test('with no readable system roots, a server is rejected without `ca` and trusted with it', async (t) => {
  const dir = tempDir(t)
  const empty = path.join(dir, 'empty.pem')
  fs.writeFileSync(empty, 'no certificate here\n')
  const env = { SSL_CERT_FILE: empty, SSL_CERT_DIR: dir }
  t.is(await inChild(childUpload(), [tls.endpoint().url, file.path], env), 'ERR_TLS_CERT_INVALID')
  const withCa = childUpload('ca: process.argv[3]')
  t.is(await inChild(withCa, [tls.endpoint().url, file.path, tls.ca], env), '200')
})
