'use strict'

// Where a curl user's habits meet the command's edges (docs/CLI.md): `-x host:port` without a
// scheme with `--proxy-user`, `-H 'Name:'` (remove) and `-H 'Name;'` (empty), `-` as the file,
// a `;type=` with parameters, and a SOCKS proxy that refuses (97). Against raw servers that
// record what arrived, the proxy of helpers/proxy.js and the SOCKS5 server of helpers/socks.js.

const fs = require('node:fs')
const path = require('node:path')
const test = require('ava')
const { spawnNode } = require('./helpers/child.js')
const { CLI, RUN_TIMEOUT_MS, assertExit, cli } = require('./helpers/cli.js')
const { startProxy } = require('./helpers/proxy.js')
const { rawServer, readRequests } = require('./helpers/raw.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { startSocks } = require('./helpers/socks.js')
const { within } = require('./helpers/wait.js')

const server = useServer(test)
const tlsServer = useServer(test, { tls: true })
const small = useTempFile(test, 16 * 1024, { name: 'edges.txt' })

/**
 * A raw server that answers each request 200 `ok` once its body arrived; `requests` gets
 * `{ lines, body }` for each: the head's lines as sent, and the body as Latin-1 text.
 */
async function headRecorder(t) {
  const requests = []
  const raw = await rawServer(t, (socket) => {
    let body = ''
    socket.on('data', (chunk) => {
      body += chunk.toString('latin1')
    })
    readRequests(socket, {
      onRequest: ({ head }) => {
        requests.push({ lines: head.split('\r\n').slice(1), body: body.slice(body.indexOf('\r\n\r\n') + 4) })
        body = ''
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
      },
    })
  })
  return { url: raw.url, requests }
}

/** The path of a file holding the PEM of the test CA, for `--cacert`. */
function caFile() {
  const file = path.join(small.dir, 'edges-ca.pem')
  fs.writeFileSync(file, tlsServer.ca)
  return file
}

/** The header lines of `lines` named `name` (any case). */
const linesNamed = (lines, name) => lines.filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))

test('-x host:port (no scheme, a name or an IP) with --proxy-user: the proxy gets the credentials, forwarded and for CONNECT; no output shows the password', async (t) => {
  const proxy = await startProxy({ auth: 'bob:s3cr:et' })
  t.teardown(() => proxy.close())
  const ca = caFile()
  const expected = `Basic ${Buffer.from('bob:s3cr:et').toString('base64')}`
  for (const host of ['localhost', '127.0.0.1']) {
    for (const target of [server.endpoint(), tlsServer.endpoint()]) {
      const args = ['-v', '-x', `${host}:${proxy.port}`, '--proxy-user', 'bob:s3cr:et', '--cacert', ca]
      const run = await cli([...args, '-F', `f=@${small.path}`, target.url])
      assertExit(t, run, 0)
      t.is((await within(target.received(), 5000, 'the upload')).file.sha256, small.sha256)
      t.false(`${run.stdout}${run.stderr}`.includes('s3cr'), 'the password is in no output')
    }
  }
  t.deepEqual(
    proxy.records.map((r) => [r.method, r.authorization]),
    [
      ['POST', expected],
      ['CONNECT', expected],
      ['POST', expected],
      ['CONNECT', expected],
    ],
  )
})

test("-H 'Name:' removes the header, as curl; -H 'Name;' sends it empty; the library's own User-Agent stays", async (t) => {
  const recorder = await headRecorder(t)
  const headers = ['X-Kept: v', 'X-Kept:', 'X-Gone:', 'X-Empty;', 'User-Agent:', 'Accept:']
  const run = await cli(['-q', ...headers.flatMap((h) => ['-H', h]), '-F', `f=@${small.path}`, recorder.url])
  assertExit(t, run, 0)
  const [{ lines }] = recorder.requests
  t.deepEqual(linesNamed(lines, 'x-kept'), ['x-kept: v'], 'another -H gave it a value: that one goes, as in curl')
  t.deepEqual(linesNamed(lines, 'x-gone'), [])
  t.deepEqual(linesNamed(lines, 'x-empty'), ['x-empty: '])
  t.is(linesNamed(lines, 'user-agent').length, 1, 'the library always sends its User-Agent (docs/CLI.md)')
  t.regex(linesNamed(lines, 'user-agent')[0], /^user-agent: upload-task\//)
  t.deepEqual(linesNamed(lines, 'accept'), ['accept: */*'])
  const replaced = await cli(['-q', '-H', 'User-Agent: x/1', '-F', `f=@${small.path}`, recorder.url])
  assertExit(t, replaced, 0)
  t.deepEqual(linesNamed(recorder.requests[1].lines, 'user-agent'), ['user-agent: x/1'], 'a value replaces it')
})

test('-F file=@- and the operand -: the documented refusal, even where a file named - exists; nothing is sent', async (t) => {
  const recorder = await headRecorder(t)
  const dir = fs.mkdtempSync(path.join(small.dir, 'dash-'))
  fs.writeFileSync(path.join(dir, '-'), 'a file named dash')
  for (const args of [
    ['-F', 'file=@-', recorder.url],
    ['-F', 'file=@-;type=text/plain', recorder.url],
    [recorder.url, '-'],
  ]) {
    const run = await spawnNode([CLI, ...args], { cwd: dir, timeoutMs: RUN_TIMEOUT_MS }).done
    assertExit(t, run, 2)
    t.regex(run.stderr, /standard input cannot be sent .*a file named - is \.\/-/)
  }
  const named = await spawnNode([CLI, '-q', '-F', 'file=@./-', recorder.url], { cwd: dir, timeoutMs: RUN_TIMEOUT_MS })
    .done
  assertExit(t, named, 0)
  t.is(recorder.requests.length, 1, 'only ./- was sent')
  t.regex(recorder.requests[0].body, /filename="-"\r\n[\s\S]*a file named dash/)
})

test(';type= takes parameters as curl does: ;type=text/plain;charset=utf-8 (then ;filename= still counts)', async (t) => {
  const recorder = await headRecorder(t)
  for (const spec of [';type=text/plain;charset=utf-8', ';type=text/plain;charset=utf-8;q=1;filename=y.txt']) {
    const run = await cli(['-q', '-F', `file=@${small.path}${spec}`, recorder.url])
    assertExit(t, run, 0)
  }
  const [first, second] = recorder.requests.map((r) => r.body)
  t.regex(first, /filename="edges\.txt"\r\nContent-Type: text\/plain;charset=utf-8\r\n/)
  t.regex(second, /filename="y\.txt"\r\nContent-Type: text\/plain;charset=utf-8;q=1\r\n/)
  // Not after ;filename=, and not when the type was quoted: an unknown attribute, as before.
  for (const spec of [';filename=a.txt;charset=utf-8', ';type="text/plain";charset=utf-8']) {
    const run = await cli(['-q', '-F', `file=@${small.path}${spec}`, recorder.url])
    assertExit(t, run, 2)
    t.regex(run.stderr, /unknown attribute "charset"/)
  }
  t.is(recorder.requests.length, 2)
})

test('a SOCKS proxy that refuses the connection: exit 97, as curl (-x socks5:// and --socks5); an HTTP proxy that refuses stays 56', async (t) => {
  const socks = await startSocks({ deny: true })
  t.teardown(() => socks.close())
  const endpoint = server.endpoint()
  for (const proxy of [
    ['-x', socks.url()],
    ['-x', socks.url('socks5h')],
    ['--socks5', `127.0.0.1:${socks.port}`],
  ]) {
    const run = await cli(['-q', ...proxy, '-F', `f=@${small.path}`, endpoint.url])
    assertExit(t, run, 97)
    t.regex(run.stderr, /\(ERR_PROXY\)/)
  }
  const http = await startProxy({ auth: 'a:b' })
  t.teardown(() => http.close())
  const target = tlsServer.endpoint()
  const refused = await cli(['-q', '-x', http.url, '--cacert', caFile(), '-F', `f=@${small.path}`, target.url])
  assertExit(t, refused, 56)
  t.is(endpoint.records().length + target.records().length, 0)
})
