'use strict'

// The command line, bin/upload-task.js (docs/CLI.md), run as a child process against the
// recording server of testing/: the help and its tables, what arrives at the server with the
// older `<url> <file>` form, what is printed where, usage errors, Ctrl-C, the progress output on
// a pseudo-terminal (through the `script` command), on a pipe and with --quiet, and the network
// options. The exit status of each failure: cli-exit.test.js; curl's syntax: cli-curl.test.js.
// Every child is SIGKILLed after its deadline, and every wait is bounded.

const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const test = require('ava')
const { ErrorCode } = require('../index.js')
const { version } = require('../package.json')
const { EXIT_FAMILIES } = require('../cli/exit-codes.js')
const { OPTIONS } = require('../cli/options.js')
const { formatBytes, formatDuration } = require('../cli/progress.js')
const { USAGE } = require('../cli/usage.js')
const { within } = require('../testing')
const { spawnNode, PACKAGE_DIR } = require('./helpers/child.js')
const { CLI, RUN_TIMEOUT_MS, assertExit, cli, cliOnTerminal } = require('./helpers/cli.js')
const { forwardTo, startProxy } = require('./helpers/proxy.js')
const { useServer, useTempFile } = require('./helpers/setup.js')

const MiB = 1024 * 1024

const server = useServer(test)
const tlsServer = useServer(test, { tls: true })
const small = useTempFile(test, 256 * 1024, { name: 'small.bin' })
const medium = useTempFile(test, 16 * MiB, { name: 'medium.bin' })

/** `script -qfec` is util-linux's syntax (BSD's `script` differs): the terminal tests run on Linux. */
const testOnLinux = process.platform === 'linux' ? test : test.skip
/** Windows has no SIGINT to send to another process. */
const testWithSignals = process.platform === 'win32' ? test.skip : test

// The help, the tables and their documentation.

test('--help prints the usage, every option and the exit status table on stdout, and exits with 0', async (t) => {
  for (const flag of ['--help', '-h']) {
    const run = await cli([flag])
    assertExit(t, run, 0)
    t.true(run.stdout.startsWith(`${USAGE}\n`))
    for (const spec of OPTIONS) {
      t.true(run.stdout.includes(`${spec.short ? `-${spec.short}, ` : '    '}--${spec.long}`), spec.long)
    }
    for (const family of EXIT_FAMILIES) t.regex(run.stdout, new RegExp(`^  ${family.status} +\\S`, 'm'))
    t.is(run.stderr, '')
  }
})

test("--version (and curl's -V) prints the version of the package", async (t) => {
  for (const flag of ['--version', '-V']) {
    const run = await cli([flag])
    assertExit(t, run, 0)
    t.is(run.stdout, `${version}\n`)
  }
})

test('the exit status table has each ErrorCode in exactly one row', (t) => {
  for (const code of Object.values(ErrorCode)) {
    const rows = EXIT_FAMILIES.filter((family) => family.codes.includes(code))
    t.is(rows.length, 1, `${code} is in ${rows.length} rows`)
  }
  const statuses = EXIT_FAMILIES.map((family) => family.status)
  t.deepEqual([...new Set(statuses)], statuses, 'each status has one row')
})

test("docs/CLI.md shows the exit status table of the code beside curl's meanings, and every option", (t) => {
  const doc = fs.readFileSync(path.join(PACKAGE_DIR, 'docs', 'CLI.md'), 'utf8')
  const section = doc.slice(doc.indexOf('## Exit status'), doc.indexOf('## Examples'))
  const rows = [...section.matchAll(/^\| (\d+) \|[^|]*\|([^|]*)\|([^|]*)\|$/gm)].map(([, status, codes, curl]) => ({
    status: Number(status),
    codes: [...codes.matchAll(/`([A-Z_]+)`/g)].map(([, code]) => code),
    curl: curl.trim(),
  }))
  t.deepEqual(
    rows,
    EXIT_FAMILIES.map(({ status, codes, curl }) => ({ status, codes, curl })),
  )
  for (const spec of OPTIONS) {
    const name = spec.short ? `\`-${spec.short}\`, \`--${spec.long}\`` : `\`--${spec.long}\``
    t.true(doc.includes(`| ${name} |`), `docs/CLI.md has a row for ${name}`)
  }
})

test('progress figures: sizes in IEC units, durations in s, m and h', (t) => {
  t.deepEqual([0, 1023, 1024, 1536, 256 * MiB, 3 * 1024 * MiB].map(formatBytes), [
    '0 B',
    '1023 B',
    '1.0 KiB',
    '1.5 KiB',
    '256.0 MiB',
    '3.0 GiB',
  ])
  t.deepEqual([0, 0.2, 59, 125, 3725, Number.POSITIVE_INFINITY].map(formatDuration), [
    '0s',
    '1s',
    '59s',
    '2m05s',
    '1h02m',
    '?',
  ])
})

// What arrives at the server, and what is printed.

test('form fields, headers, the field name and the file name arrive at the server', async (t) => {
  const endpoint = server.endpoint({ body: 'ok' })
  const run = await cli([
    '-F',
    'user=alice',
    '--form',
    'expr=a=b',
    '-F',
    'empty=',
    '-H',
    'X-Token:  abc 123 ',
    '--header',
    'X-Repeat: 1',
    '-H',
    'x-repeat: 2',
    '-H',
    'X-Name: José',
    '-n',
    'photo',
    '--file-name',
    'me.png',
    '-q',
    endpoint.url,
    small.path,
  ])
  assertExit(t, run, 0)
  const rec = await within(endpoint.received(), 5000, 'the request')
  t.deepEqual(rec.fields, [
    ['user', 'alice'],
    ['expr', 'a=b'],
    ['empty', ''],
  ])
  t.is(rec.headers['x-token'], 'abc 123')
  t.is(rec.headers['x-repeat'], '1, 2')
  // Node's server reads header bytes as Latin-1: 'José' is the one byte 0xE9 (UTF-8 reads 'JosÃ©').
  t.is(rec.headers['x-name'], 'José', 'é as one Latin-1 byte, as Node sends it')
  t.is(rec.file.field, 'photo')
  t.is(rec.file.filename, 'me.png')
  t.is(rec.file.mimeType, 'image/png')
  t.is(rec.file.sha256, small.sha256)
})

test('without options the field is "file", the file name its basename, and there are no fields', async (t) => {
  const endpoint = server.endpoint()
  const run = await cli(['-q', endpoint.url, small.path])
  assertExit(t, run, 0)
  const rec = await within(endpoint.received(), 5000, 'the request')
  t.deepEqual(rec.fields, [])
  t.is(rec.file.field, 'file')
  t.is(rec.file.filename, 'small.bin')
  t.is(rec.file.bytes, small.size)
})

test('the response body is written to stdout as it is, whatever the status without --fail', async (t) => {
  for (const status of [200, 201, 404, 500]) {
    const endpoint = server.endpoint({ status, body: `body of ${status}\nsecond line` })
    const run = await cli(['-q', endpoint.url, small.path])
    assertExit(t, run, 0)
    t.is(run.stdout, `body of ${status}\nsecond line`)
    t.is(run.stderr, '')
  }
})

test('--json prints the whole result object', async (t) => {
  const endpoint = server.endpoint({
    status: 201,
    headers: [
      ['X-Answer', '42'],
      ['Set-Cookie', 'a=1'],
    ],
    body: 'created',
  })
  const run = await cli(['--json', '-q', endpoint.url, small.path])
  assertExit(t, run, 0)
  const result = JSON.parse(run.stdout)
  t.is(result.errMsg, 'uploadFile:ok')
  t.is(result.statusCode, 201)
  t.is(result.data, 'created')
  t.is(result.header['x-answer'], '42')
  t.deepEqual(result.cookies, ['a=1'])
  t.deepEqual(Object.keys(result).sort(), ['attempts', 'cookies', 'data', 'errMsg', 'header', 'statusCode'])
})

// Usage errors.

const USAGE_ERRORS = [
  ['an unknown option', ['--bogus', 'URL', 'FILE'], /--bogus/],
  ['an unknown short option', ['-j', 'URL', 'FILE'], /^upload-task: unknown option -j$/m],
  ['no file', ['URL'], /no file to send: give -F name=@file, or <url> <file>/],
  ['no operand', ['-F', 'file=@FILE'], /no URL given/],
  ['a third operand', ['URL', 'FILE', 'more'], /"more"/],
  ['an option without its value', ['URL', 'FILE', '--name'], /--name/],
  ['a form field without =', ['-F', 'novalue', 'URL', 'FILE'], /--form expects name=value/],
  ['a --form-string without =', ['--form-string', '=x', 'URL', 'FILE'], /--form-string expects name=value/],
  ['a form field given twice', ['-F', 'a=1', '-F', 'a=2', 'URL', 'FILE'], /given twice/],
  ['a header without :', ['-H', 'X-No-Colon', 'URL', 'FILE'], /--header expects/],
  ['a timeout that is not a whole number', ['--timeout', '1.5', 'URL', 'FILE'], /--timeout/],
  ['a --max-time that is not seconds', ['-m', '1.5s', 'URL', 'FILE'], /--max-time expects seconds/],
  ['-m and --timeout together', ['-m', '1', '--timeout', '1000', 'URL', 'FILE'], /give one/],
  ['a --connect-timeout that is not seconds', ['--connect-timeout', '-1', 'URL', 'FILE'], /--connect-timeout/],
  ['a --max-filesize that is not a size', ['--max-filesize', '1T', 'URL', 'FILE'], /--max-filesize expects bytes/],
  [
    '--max-redirs and --max-redirects together',
    ['--max-redirs', '1', '--max-redirects', '2', 'URL', 'FILE'],
    /give one/,
  ],
  ['-X with another method than POST', ['-X', 'PUT', 'URL', 'FILE'], /"PUT": upload-task sends POST only/],
  ['a URL that is not http: or https:', ['ftp://127.0.0.1/x', 'FILE'], /ERR_INVALID_ARG_VALUE/],
  ['an invalid header name', ['-H', 'Bad Name: 1', 'URL', 'FILE'], /ERR_INVALID_ARG_VALUE/],
  [
    'a header value with a character Node refuses',
    ['-H', 'Authorization: Bearer \u2026', 'URL', 'FILE'],
    /ERR_INVALID_CHAR/,
  ],
]

for (const [what, args, message] of USAGE_ERRORS) {
  test(`usage error, exit 2: ${what}`, async (t) => {
    const endpoint = server.endpoint()
    const resolved = args.map((arg) => arg.replace('URL', endpoint.url).replace('FILE', small.path))
    const run = await cli(resolved)
    assertExit(t, run, 2)
    t.regex(run.stderr, message)
    t.is(run.stdout, '')
    t.is(endpoint.records().length, 0, 'nothing was sent')
  })
}

testWithSignals(
  'Ctrl-C (a real SIGINT) mid-upload aborts it: exit 130, and the server sees the connection close early',
  async (t) => {
    const endpoint = server.endpoint({ readDelayMs: 20 }) // a slow reader holds the CLI mid-body
    const { child, done } = spawnNode([CLI, endpoint.url, medium.path], { timeoutMs: RUN_TIMEOUT_MS })
    t.teardown(() => child.kill('SIGKILL')) // no-op once it exited
    const rec = await within(endpoint.arrived, RUN_TIMEOUT_MS, 'the request')
    await within(rec.waitForBytes(512 * 1024), 10000, 'the first 512 KiB of the body')
    child.kill('SIGINT')
    const run = await within(done, 10000, 'the exit of the CLI after SIGINT')
    rec.unthrottle() // an upload that went on would now finish quickly
    await within(rec.finished, 10000, 'the end of the request')
    assertExit(t, run, 130)
    t.is(run.stdout, '')
    t.regex(run.stderr, /upload-task: uploadFile:fail abort \(ABORT_ERR\)\n$/)
    t.true(rec.closedEarly)
    t.false(rec.completed, `the upload went on after SIGINT: ${rec.bytesReceived} bytes arrived`)
  },
)

// Progress.

testOnLinux('on a terminal, a progress bar reaches 100%, and the body follows it', async (t) => {
  const run = await cliOnTerminal([server.endpoint({ body: 'the body' }).url, medium.path])
  t.is(run.code, 0, run.output)
  t.regex(run.output, /\b100% \| 16\.0 MiB \/ 16\.0 MiB \| /)
  t.true(run.output.includes('\x1b['), 'the bar is redrawn in place with terminal escapes')
  t.true(run.output.trimEnd().endsWith('the body'))
})

testOnLinux('on a terminal, --quiet shows no bar', async (t) => {
  const run = await cliOnTerminal(['-q', server.endpoint({ body: 'the body' }).url, medium.path])
  t.is(run.code, 0, run.output)
  t.is(run.output, 'the body')
})

test('when stderr is not a terminal, progress is plain lines ending with the 100% line', async (t) => {
  const run = await cli([server.endpoint({ body: 'the body' }).url, medium.path])
  assertExit(t, run, 0)
  t.is(run.stdout, 'the body')
  t.false(run.stderr.includes('\x1b'), 'no terminal escapes')
  const lines = run.stderr.trimEnd().split('\n')
  for (const line of lines) t.regex(line, /^upload-task: \d{1,3}% [\d.]+ (B|KiB|MiB) \/ 16\.0 MiB, .+\/s, ETA \S+$/)
  t.regex(lines.at(-1), /^upload-task: 100% 16\.0 MiB \/ 16\.0 MiB, /)
  t.is(lines.filter((line) => line.includes(' 100% ')).length, 1)
})

test('--quiet: nothing on stderr', async (t) => {
  for (const flag of ['-q', '--quiet']) {
    const run = await cli([flag, server.endpoint({ body: 'the body' }).url, medium.path])
    assertExit(t, run, 0)
    t.is(run.stderr, '')
    t.is(run.stdout, 'the body')
  }
})

// The network options: each is handed to the library, which its own tests cover in depth.

test('--max-redirects 0 prints the 3xx; by default the redirect is followed and the file arrives there', async (t) => {
  const target = server.endpoint({ body: 'landed' })
  const redirect = () => server.endpoint({ status: 307, headers: { location: target.url } }).url
  const kept = await cli(['-q', '--json', '--max-redirs', '0', redirect(), small.path])
  assertExit(t, kept, 0)
  t.is(JSON.parse(kept.stdout).statusCode, 307)
  const oldSpelling = await cli(['-q', '--json', '--max-redirects', '0', redirect(), small.path])
  t.is(JSON.parse(oldSpelling.stdout).statusCode, 307)
  const followed = await cli(['-q', redirect(), small.path])
  assertExit(t, followed, 0)
  t.is(followed.stdout, 'landed')
  t.is((await target.received()).file.sha256, small.sha256)
})

test('--cacert trusts the server of the test CA; --http2 and --limit-rate are accepted', async (t) => {
  const caFile = path.join(small.dir, 'ca.pem')
  fs.writeFileSync(caFile, tlsServer.ca)
  const endpoint = tlsServer.endpoint()
  const run = await cli(['-q', '--cacert', caFile, '--http2', '--limit-rate', '8M', endpoint.url, small.path])
  assertExit(t, run, 0)
  t.is((await endpoint.received()).file.sha256, small.sha256)
  const unreadable = await cli(['-q', '--cacert', path.join(small.dir, 'missing.pem'), endpoint.url, small.path])
  assertExit(t, unreadable, 2)
  t.regex(unreadable.stderr, /--cacert .* cannot be read/)
})

test('--proxy sends the upload through that proxy; --no-proxy ignores HTTP_PROXY', async (t) => {
  const proxy = await startProxy()
  t.teardown(() => proxy.close())
  const viaProxy = server.endpoint()
  assertExit(t, await cli(['-q', '--proxy', proxy.url, viaProxy.url, small.path]), 0)
  t.deepEqual(
    proxy.records.map((r) => [r.method, r.target]),
    [['POST', viaProxy.url]],
  )
  const direct = server.endpoint()
  const run = await spawnNode([CLI, '-q', '--no-proxy', direct.url, small.path], {
    timeoutMs: RUN_TIMEOUT_MS,
    env: { ...process.env, HTTP_PROXY: proxy.url },
  }).done
  assertExit(t, run, 0)
  t.is(proxy.records.length, 1, 'the second upload went straight to the server')
  t.is((await direct.received()).file.sha256, small.sha256)
  const both = await cli(['-q', '--proxy', proxy.url, '--no-proxy', direct.url, small.path])
  assertExit(t, both, 2)
})

test('--retry sends an upload with an Idempotency-Key again after a connection reset; malformed numbers are usage errors', async (t) => {
  let requests = 0
  const target = server.endpoint()
  const forward = forwardTo(target)
  const flaky = http.createServer((req, res) => {
    if (requests++ === 0) return req.socket.destroy()
    forward(req, res)
  })
  await new Promise((resolve) => flaky.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    flaky.closeAllConnections()
    flaky.close()
  })
  const url = `http://127.0.0.1:${flaky.address().port}/up`
  // The reset comes after the whole small body went out: only a keyed upload is sent again.
  const run = await cli(['-q', '--json', '--retry', '2', '-H', 'Idempotency-Key: cli-1', url, small.path])
  assertExit(t, run, 0)
  t.is(JSON.parse(run.stdout).attempts, 2)
  t.is((await target.received()).file.sha256, small.sha256)
  for (const [flag, value] of [
    ['--retry', 'two'],
    ['--max-redirects', '-1'],
    ['--limit-rate', '5X'],
    ['--idle-timeout', '1.5'],
  ]) {
    assertExit(t, await cli(['-q', flag, value, url, small.path]), 2)
  }
})
