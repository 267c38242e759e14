'use strict'

// The exit status of the command line (cli/exit-codes.js, docs/CLI.md "Exit status"): each
// number of the table, from a real failure against a local server (or a real file), with the
// message on stderr and nothing on stdout. curl's number wherever the meaning is the same.

const fs = require('node:fs')
const path = require('node:path')
const test = require('ava')
const { closedPort, within } = require('../testing')
const { assertExit, cli } = require('./helpers/cli.js')
const { startProxy } = require('./helpers/proxy.js')
const { rawServer } = require('./helpers/raw.js')
const { useServer, useTempFile } = require('./helpers/setup.js')

const server = useServer(test)
const tlsServer = useServer(test, { tls: true })
const small = useTempFile(test, 64 * 1024, { name: 'small.bin' })

/** A raw TCP server whose URL is `https:` (so the CLI speaks TLS to it); see helpers/raw.js. */
async function rawHttpsUrl(t, onSocket) {
  const raw = await rawServer(t, onSocket)
  return `https://127.0.0.1:${raw.port}/upload`
}

/** The path of a file holding the PEM of the test CA, for `--cacert`. */
function caFile() {
  const file = path.join(small.dir, 'ca.pem')
  fs.writeFileSync(file, tlsServer.ca)
  return file
}

/** Runs the CLI with `args` and asserts the exit status, an empty stdout and one stderr line. */
async function failsWith(t, args, status, message) {
  const run = await cli(args)
  assertExit(t, run, status)
  t.is(run.stdout, '')
  t.regex(run.stderr, /^upload-task: [^\n]+\n$/, 'one message, prefixed once')
  t.regex(run.stderr, message)
  return run
}

test('6: a host name that cannot resolve (a 64-character label: no DNS query leaves the machine)', async (t) => {
  await failsWith(t, ['-q', '-F', `file=@${small.path}`, `http://${'a'.repeat(64)}.invalid/upload`], 6, /\(ENOTFOUND\)/)
})

test('7: a refused connection', async (t) => {
  const url = `http://127.0.0.1:${await closedPort()}/upload`
  await failsWith(t, ['-F', `file=@${small.path}`, url], 7, /^upload-task: uploadFile:fail .* \(ECONNREFUSED\)\n$/)
})

test('22: --fail (-f) and a 404: no body, the status on stderr; a 399 passes', async (t) => {
  for (const flag of ['--fail', '-f']) {
    await failsWith(t, [flag, '-q', server.endpoint({ status: 404, body: 'not here' }).url, small.path], 22, /\b404\b/)
  }
  const ok = await cli(['-f', '-q', server.endpoint({ status: 399, body: 'fine' }).url, small.path])
  assertExit(t, ok, 0)
  t.is(ok.stdout, 'fine')
})

test('23: the --output file cannot be written; the upload itself arrived', async (t) => {
  const endpoint = server.endpoint({ body: 'the body' })
  const output = path.join(small.dir, 'no-such-dir', 'out.txt')
  await failsWith(t, ['-q', '-o', output, '-F', `file=@${small.path}`, endpoint.url], 23, /cannot write --output/)
  t.is((await within(endpoint.received(), 5000, 'the request')).file.sha256, small.sha256)
})

test('26: the file to send is missing, or a directory; nothing is sent', async (t) => {
  const endpoint = server.endpoint()
  const missing = path.join(small.dir, 'no-such-file.bin')
  const run = await failsWith(t, ['-F', `file=@${missing}`, endpoint.url], 26, /\(ENOENT\)/)
  t.true(run.stderr.includes(`uploadFile:fail ENOENT: no such file or directory, open '${missing}'`), run.stderr)
  await failsWith(t, ['-q', endpoint.url, small.dir], 26, /\(EISDIR\)/)
  t.is(endpoint.records().length, 0)
})

test('28: -m/--max-time (seconds, fractions allowed) and --timeout (ms) while the server does not answer', async (t) => {
  for (const args of [
    ['-m', '0.3'],
    ['--max-time', '.3'],
    ['--timeout', '300'],
  ]) {
    const url = server.endpoint({ respond: false }).url
    await failsWith(t, ['-q', ...args, url, small.path], 28, /uploadFile:fail timeout \(ETIMEDOUT, phase \w+\)/)
  }
})

test('28: --connect-timeout when the TLS handshake never completes; nothing of the body moved', async (t) => {
  let received = 0
  const url = await rawHttpsUrl(t, (socket) =>
    socket.on('data', (chunk) => {
      received += chunk.length // the ClientHello, never answered
    }),
  )
  const args = ['-q', '--connect-timeout', '0.5', '-F', `file=@${small.path}`, url]
  await failsWith(t, args, 28, /uploadFile:fail timeout \(ETIMEDOUT, phase connect\)/)
  t.true(received > 0 && received < small.size, `the server got the ClientHello only (${received} bytes)`)
})

test('--connect-timeout 0 is none: the -m deadline ends a handshake that never completes', async (t) => {
  const url = await rawHttpsUrl(t, () => {})
  const args = ['-q', '--connect-timeout', '0', '-m', '0.5', '-F', `file=@${small.path}`, url]
  await failsWith(t, args, 28, /uploadFile:fail timeout \(ETIMEDOUT, phase connect\)/)
})

test('--connect-timeout is not a response deadline: a slow answer after the body passes', async (t) => {
  const endpoint = server.endpoint({ delayMs: 2500, body: 'late' }) // well past the limit, which is generous for a loaded machine
  const run = await cli(['-q', '--connect-timeout', '1', '-F', `file=@${small.path}`, endpoint.url])
  assertExit(t, run, 0)
  t.is(run.stdout, 'late')
})

test('35: an https: server that answers the TLS handshake with an alert, or with bytes that are not TLS', async (t) => {
  const alert = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]) // fatal handshake_failure
  for (const answer of [alert, Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')]) {
    const url = await rawHttpsUrl(t, (socket) => socket.once('data', () => socket.end(answer)))
    await failsWith(t, ['-q', '-F', `file=@${small.path}`, url], 35, /\(ERR_TLS_HANDSHAKE\)/)
  }
})

test('56, not 35: bytes that are not HTTP from an http: server (ERR_NETWORK past any handshake)', async (t) => {
  const raw = await rawServer(t, (socket) => socket.write('SSH-2.0-OpenSSH_9.6\r\n'))
  await failsWith(t, ['-q', '-F', `file=@${small.path}`, raw.url], 56, /\(ERR_NETWORK\)/)
})

test('47: one redirect more than --max-redirs', async (t) => {
  const target = server.endpoint()
  const second = server.endpoint({ status: 302, headers: { location: target.url } })
  const first = server.endpoint({ status: 302, headers: { location: second.url } })
  await failsWith(t, ['-q', '--max-redirs', '1', first.url, small.path], 47, /\(ERR_TOO_MANY_REDIRECTS\)/)
  t.is(target.records().length, 0)
})

test('47: a redirect from https: to http:, which upload-task does not follow', async (t) => {
  const target = server.endpoint()
  const redirect = tlsServer.endpoint({ status: 307, headers: { location: target.url } })
  await failsWith(t, ['-q', '--cacert', caFile(), redirect.url, small.path], 47, /\(ERR_INSECURE_REDIRECT\)/)
  t.is(target.records().length, 0)
})

test('56: a connection reset once the request arrived', async (t) => {
  const raw = await rawServer(t, (socket) => socket.resetAndDestroy())
  await failsWith(t, ['-q', '-F', `file=@${small.path}`, raw.url], 56, /\(ECONNRESET\)/)
})

test('56: a proxy that refuses the CONNECT tunnel (407), as curl reports it', async (t) => {
  const proxy = await startProxy({ auth: 'user:right' })
  t.teardown(() => proxy.close())
  const args = ['-q', '--cacert', caFile(), '-x', `http://user:wrong@127.0.0.1:${proxy.port}`]
  await failsWith(t, [...args, '-F', `file=@${small.path}`, tlsServer.endpoint().url], 56, /\(ERR_PROXY\)/)
})

test('60: a certificate nothing trusts', async (t) => {
  await failsWith(t, ['-q', tlsServer.endpoint().url, small.path], 60, /\(ERR_TLS_CERT_INVALID\)/)
})

test("63: a response larger than --max-filesize; a size suffix, and 0 for no limit, as curl's", async (t) => {
  const body = 'x'.repeat(1500)
  await failsWith(
    t,
    ['-q', '--max-filesize', '1K', server.endpoint({ body }).url, small.path],
    63,
    /\(ERR_RESPONSE_TOO_LARGE\)/,
  )
  for (const size of ['2K', '0']) {
    const run = await cli(['-q', '--max-filesize', size, server.endpoint({ body }).url, small.path])
    assertExit(t, run, 0)
    t.is(run.stdout, body, `--max-filesize ${size}`)
  }
})
