'use strict'

// Every error code, each produced by a real failure against real servers on 127.0.0.1, and the
// rules every failure follows (docs/API.md §3, §9; README "Errors"). This file is the one place
// that covers every value of `ErrorCode`: the scenarios below are keyed by code, a code of the
// enum without a scenario fails, and so does a scenario for a code the enum does not have. The
// last tests check that the README's table, index.d.ts and binding.d.ts agree with the enum.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const fsp = require('node:fs/promises')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const test = require('ava')
const api = require('../index.js')
const { closedPort, makeTempFile, within } = require('../testing')
const { rawServer: rawTcpServer, afterHead, nodeOpenError } = require('./helpers/raw.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { failureOf: settledFailure } = require('./helpers/wait.js')
const { tempDir } = require('./helpers/files.js')
const { runFixture, PACKAGE_DIR } = require('./helpers/child.js')
const { startProxy } = require('./helpers/proxy.js')
const { recordingCallbacks, failureReport } = require('./fixtures/failure-report.js')

const { uploadFile, ErrorCode } = api
const CODES = Object.values(ErrorCode)

const server = useServer(test)
// Its certificate is signed by a CA generated for this run, which the client does not trust.
const tlsServer = useServer(test, { tls: true })
const small = useTempFile(test, 64 * 1024, { name: 'small.bin' })
// Large enough that the body is still being written when a server gives up after the head.
const large = useTempFile(test, 16 * 1024 * 1024, { name: 'large.bin' })

// ---------------------------------------------------------------------------------------------
// Helpers

/** The recorded callbacks of each task started by `upload`. */
const recorded = new WeakMap()

/** `uploadFile(options)` with `success`, `fail` and `complete` callbacks that record calls. */
function upload(options) {
  const { callbacks, calls } = recordingCallbacks()
  const task = uploadFile(Object.assign(options, callbacks))
  recorded.set(task, calls)
  return task
}

/**
 * Waits (bounded) for a task started by `upload` to fail; throws if it succeeds instead.
 * @returns {Promise<{ error: unknown, report: ReturnType<typeof failureReport> }>}
 */
async function failureOf(task, ms = 10000) {
  const error = await settledFailure(task, ms)
  return { error, report: failureReport(error, recorded.get(task), api) }
}

/**
 * The failure of an upload of `filePath` to a fresh endpoint, which must see no request at all.
 * @returns {Promise<ReturnType<typeof failureReport>>}
 */
async function pathFailure(t, filePath, options = {}) {
  const endpoint = server.endpoint()
  const { report } = await failureOf(upload({ url: endpoint.url, filePath, name: 'file', ...options }))
  t.is(endpoint.records().length, 0, 'nothing reached the server')
  return report
}

/** The rules of docs/API.md §3 and §9.1 that every failure follows, `code` one of `codes`. */
function checkFailure(t, report, codes) {
  const what = `${report.code}: ${JSON.stringify(report.errMsg)}`
  t.true(codes.includes(report.code), `expected ${codes.join(' or ')}, got ${what}`)
  t.true(report.instanceOfUploadError, `instanceof UploadError (${what})`)
  t.true(report.instanceOfError, `instanceof Error (${what})`)
  t.true(report.isUploadError, `isUploadError() (${what})`)
  t.is(typeof report.errMsg, 'string', what)
  t.is(report.message, report.errMsg, `message === errMsg (${what})`)
  t.true(report.errMsgIsOwnEnumerable, `errMsg is an own enumerable property (${what})`)
  t.true(String(report.errMsg).startsWith('uploadFile:fail '), what)
  t.false(/[\r\n]/.test(report.errMsg), `errMsg is one line (${what})`)
  t.is(report.name, report.code === ErrorCode.ABORT_ERR ? 'AbortError' : 'UploadError', what)
  t.is(report.successCalls, 0, `success is not called (${what})`)
  t.is(report.failCalls, 1, `fail is called once (${what})`)
  t.is(report.completeCalls, 1, `complete is called once (${what})`)
  t.true(report.failGotTheRejection, `fail received the object the promise rejected with (${what})`)
  t.true(report.completeGotTheRejection, `complete received the object the promise rejected with (${what})`)
}

/**
 * A raw server whose connections are handed to `onHead(socket)` as soon as the request head has
 * arrived; the body goes on being read and discarded unless `onHead` says otherwise. It never
 * answers unless `onHead` writes.
 * @returns {Promise<string>} a URL on it
 */
async function rawServer(t, onHead) {
  const raw = await rawTcpServer(t, (socket) =>
    afterHead(socket, () => {
      socket.on('data', () => {})
      onHead(socket)
    }),
  )
  return raw.url
}

// EACCES needs a file this process cannot read. Root reads any file whatever its mode, so as root
// the upload runs in a child process that drops to user nobody (fixtures/upload-unprivileged.js).
// Otherwise mode 000 denies, unless this process can read anyway (a capability, or a platform
// without POSIX modes): only then is the scenario skipped.
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0
const EACCES_SKIP_REASON =
  IS_ROOT || modeZeroDenies() ? null : 'this process can read a file of mode 000 and cannot drop privileges'

function modeZeroDenies() {
  const probe = path.join(os.tmpdir(), `upload-task-mode-probe-${process.pid}`)
  try {
    fs.writeFileSync(probe, 'x', { mode: 0o000 })
    fs.chmodSync(probe, 0o000)
    fs.closeSync(fs.openSync(probe, 'r'))
    return false
  } catch (error) {
    return error.code === 'EACCES'
  } finally {
    fs.rmSync(probe, { force: true })
  }
}

// ---------------------------------------------------------------------------------------------
// One scenario per code. `run(t)` produces the failure and returns `{ report }`, plus `errMsg`
// when the README's table gives the exact text. The harness below checks the rest. `skip` (a
// reason) skips a scenario this system cannot stage; `serial` runs it before the others.

const scenarios = {
  ABORT_ERR: {
    title: 'abort() while the body is being sent',
    async run(t) {
      let arrived
      const headArrived = new Promise((resolve) => {
        arrived = resolve
      })
      const url = await rawServer(t, () => arrived())
      const task = upload({ url, filePath: large.path, name: 'file' })
      // If the upload failed on its own first, the harness names the code it failed with.
      await within(Promise.race([headArrived, task.catch(() => {})]), 10000, 'the request head')
      task.abort()
      const { report } = await failureOf(task)
      return { report, errMsg: 'uploadFile:fail abort' }
    },
  },

  ETIMEDOUT: {
    title: 'a server that reads the whole request and never answers; timeout 300 ms',
    async run(t) {
      const url = await rawServer(t, () => {})
      const { report } = await failureOf(upload({ url, filePath: small.path, name: 'file', timeout: 300 }))
      return { report, errMsg: 'uploadFile:fail timeout' }
    },
  },

  ERR_INVALID_ARG_TYPE: {
    title: 'url missing',
    async run(t) {
      const endpoint = server.endpoint()
      const { report } = await failureOf(upload({ url: undefined, filePath: small.path, name: 'file' }))
      t.is(endpoint.records().length, 0)
      return { report, errMsg: 'uploadFile:fail parameter error: parameter.url should be String instead of Undefined' }
    },
  },

  ERR_INVALID_ARG_VALUE: {
    title: 'an ftp: URL',
    async run(t) {
      const endpoint = server.endpoint()
      const url = endpoint.url.replace(/^http:/, 'ftp:')
      const { report } = await failureOf(upload({ url, filePath: small.path, name: 'file' }))
      t.true(report.errMsg.startsWith('uploadFile:fail parameter error: '), report.errMsg)
      t.is(endpoint.records().length, 0)
      return { report }
    },
  },

  ERR_INVALID_CHAR: {
    title: "a header value with a character above U+00FF: the README's old 'Bearer …' sample",
    async run(t) {
      const header = { Authorization: 'Bearer \u2026' }
      const report = await pathFailure(t, small.path, { header })
      return {
        report,
        errMsg:
          'uploadFile:fail parameter error: parameter.header["Authorization"] has an invalid character (U+2026): a header value takes tab, U+0020-U+007E and U+0080-U+00FF, as in Node',
      }
    },
  },

  ENOENT: {
    title: 'a file that does not exist',
    async run(t) {
      const missing = path.join(small.dir, 'no-such-file.bin')
      const report = await pathFailure(t, missing)
      t.is(report.errMsg, `uploadFile:fail ${nodeOpenError(missing)}`, "Node's own wording")
      return { report, errMsg: `uploadFile:fail ENOENT: no such file or directory, open '${missing}'` }
    },
  },

  EACCES: {
    title: IS_ROOT
      ? 'a root-owned file of mode 0600, uploaded by a child process running as nobody'
      : 'a file of mode 000',
    skip: EACCES_SKIP_REASON,
    async run(t) {
      const endpoint = server.endpoint()
      // A directory anyone may traverse (mkdtemp makes it 0700), holding a file only its owner reads.
      const dir = await tempDir(t, 0o755)
      const file = path.join(dir, 'secret.bin')
      await fsp.writeFile(file, 'not for everyone')
      await fsp.chmod(file, IS_ROOT ? 0o600 : 0o000)
      let report
      if (IS_ROOT) {
        const run = await within(
          runFixture('upload-unprivileged.js', [endpoint.url, file], { timeoutMs: 20000 }),
          25000,
          'the unprivileged child',
        )
        t.is(run.code, 0, `the child failed: ${run.stderr}`)
        const line = JSON.parse(run.stdout.trim().split('\n').pop())
        t.is(line.uid, 65534, 'the child runs as nobody')
        t.is(line.gid, 65534, 'the child runs in group nobody')
        t.is(line.fsOpen, 'EACCES', "Node's own fs cannot read the file either: the denial is real")
        report = line.report
      } else {
        report = (await failureOf(upload({ url: endpoint.url, filePath: file, name: 'file' }))).report
      }
      t.is(endpoint.records().length, 0)
      return { report, errMsg: `uploadFile:fail EACCES: permission denied, open '${file}'` }
    },
  },

  EISDIR: {
    title: 'a directory',
    async run(t) {
      const report = await pathFailure(t, small.dir)
      return { report, errMsg: `uploadFile:fail EISDIR: illegal operation on a directory, read '${small.dir}'` }
    },
  },

  ENOTDIR: {
    title: 'a path through a regular file, as if it were a directory',
    async run(t) {
      const through = path.join(small.path, 'child.bin')
      const report = await pathFailure(t, through)
      return { report, errMsg: `uploadFile:fail ${nodeOpenError(through)}` }
    },
  },

  ELOOP: {
    title: 'two symbolic links pointing at each other',
    async run(t) {
      const dir = await tempDir(t)
      const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')]
      await fsp.symlink(b, a)
      await fsp.symlink(a, b)
      const report = await pathFailure(t, a)
      return { report, errMsg: `uploadFile:fail ${nodeOpenError(a)}` }
    },
  },

  ENAMETOOLONG: {
    title: 'a file name of 256 characters',
    async run(t) {
      const long = path.join(small.dir, 'n'.repeat(256))
      const report = await pathFailure(t, long)
      return { report, errMsg: `uploadFile:fail ${nodeOpenError(long)}` }
    },
  },

  ERR_NOT_REGULAR_FILE: {
    title: '/dev/null (a character device), a FIFO without a writer, a Unix socket',
    async run(t) {
      const endpoint = server.endpoint()
      const dir = await tempDir(t)
      // Opening a FIFO for reading waits for a writer: the upload must not, so it gets a
      // deadline it would run into (ETIMEDOUT) if it did.
      const fifo = path.join(dir, 'fifo')
      execFileSync('mkfifo', [fifo])
      const socketPath = path.join(dir, 'socket')
      const unixServer = net.createServer()
      await new Promise((resolve) => unixServer.listen(socketPath, resolve))
      t.teardown(() => new Promise((resolve) => unixServer.close(resolve)))
      for (const other of [fifo, socketPath]) {
        const { report } = await failureOf(upload({ url: endpoint.url, filePath: other, name: 'file', timeout: 5000 }))
        checkFailure(t, report, [ErrorCode.ERR_NOT_REGULAR_FILE])
        t.is(report.errMsg, `uploadFile:fail not a regular file: '${other}'`)
      }
      const { report } = await failureOf(upload({ url: endpoint.url, filePath: '/dev/null', name: 'file' }))
      t.is(endpoint.records().length, 0)
      return { report, errMsg: "uploadFile:fail not a regular file: '/dev/null'" }
    },
  },

  ERR_FILE_SIZE_UNKNOWN: {
    title: '/proc/self/pagemap: a regular file that reports size 0 and holds gigabytes',
    skip: fs.existsSync('/proc/self/pagemap') ? null : 'no /proc/self/pagemap on this system',
    async run(t) {
      const pagemap = '/proc/self/pagemap' // 8 bytes per page of the address space
      const stat = fs.statSync(pagemap)
      t.true(stat.isFile() && stat.size === 0, 'pagemap is a regular file that reports no size')
      const report = await pathFailure(t, pagemap)
      return { report, errMsg: `uploadFile:fail the file reports no size and holds more than 16 MiB: '${pagemap}'` }
    },
  },

  ERR_FILE_CHANGED: {
    title: 'a 32 MiB file truncated as soon as the request head reaches the server',
    async run(t) {
      const changing = await makeTempFile(32 * 1024 * 1024, { name: 'changing.bin' })
      t.teardown(() => changing.remove())
      // The head is sent after the file was opened and its size taken. By the time the server
      // sees it, the client cannot have read more of the file than the socket buffers (a few
      // MiB at most) plus one 1 MiB chunk can hold, far from 32 MiB: the truncation always
      // happens mid-file, and the next chunk read finds the file shorter than announced.
      let connection
      const url = await rawServer(t, (socket) => {
        fs.truncateSync(changing.path, 0)
        connection = { socket, closed: new Promise((resolve) => socket.once('close', resolve)) }
      })
      const { report } = await failureOf(upload({ url, filePath: changing.path, name: 'file' }), 20000)
      if (connection) {
        await within(connection.closed, 10000, 'the end of the connection')
        const { bytesRead } = connection.socket
        t.true(bytesRead < changing.size, `the server read ${bytesRead} bytes, never the whole body`)
      }
      return { report, errMsg: 'uploadFile:fail file changed during upload' }
    },
  },

  ECONNREFUSED: {
    title: 'a port where nothing listens',
    async run() {
      const url = `http://127.0.0.1:${await closedPort()}/upload`
      return failureOf(upload({ url, filePath: small.path, name: 'file' }))
    },
  },

  ENOTFOUND: {
    title: 'a host name with a 64-character label, refused by the resolver without a query',
    async run() {
      // A DNS label is at most 63 octets (RFC 1035), so glibc cannot encode the query and
      // getaddrinfo fails before any socket exists; `.invalid` (RFC 6761) on top of that.
      // Verified here with `strace -f -e trace=network,openat`: for this name getaddrinfo reads
      // /etc/hosts and /etc/resolv.conf, then fails, and no AF_INET/AF_INET6 socket is ever
      // created (the only connect() is to nscd's AF_UNIX socket); for the control name
      // `short.invalid` the same run shows socket(AF_INET, SOCK_DGRAM), connect(<nameserver>:53)
      // and sendmmsg(). No packet leaves the machine.
      const url = `http://${'a'.repeat(64)}.invalid/upload`
      return failureOf(upload({ url, filePath: small.path, name: 'file' }))
    },
  },

  ECONNRESET: {
    title: 'a server that resets the connection (RST) once the request head arrived',
    async run(t) {
      // resetAndDestroy() sends an RST and no FIN: the client's socket is reset while
      // ESTABLISHED, and its next read or write, whichever comes first, fails with ECONNRESET.
      // Deterministic (200 of 200 runs), unlike the FIN of the EPIPE scenario.
      const url = await rawServer(t, (socket) => socket.resetAndDestroy())
      return failureOf(upload({ url, filePath: large.path, name: 'file' }))
    },
  },

  EPIPE: {
    title: 'a server that closes (FIN, then close) while the body is being written',
    serial: true, // alone in this process: a busy event loop delays the server's close, see below
    async run(t) {
      // The server reads the head, shuts its side down (FIN) and closes the socket. The
      // client's next body write draws an RST from the closed socket, and as the client had
      // received the FIN, the write after that fails with EPIPE. But the FIN also makes the
      // client's socket readable, and hyper polls the read side before each batch of writes:
      // when that read comes first, it sees end-of-file ("connection closed before message
      // completed"), which is ECONNRESET. Which of the two syscalls comes first is decided by
      // the client's scheduling, not by anything a server can do: measured with raw servers
      // closing at several points, by FIN, by RST, reading or not, in this process or another,
      // EPIPE came in 5 % to 70 % of the runs depending on the load, ECONNRESET in the others
      // (an RST alone is always ECONNRESET). So what is deterministic is this: every attempt
      // fails with EPIPE or ECONNRESET and nothing else, and EPIPE comes within a bounded
      // number of attempts (a few ms each; even at 5 % per attempt, 500 attempts that all
      // miss would be a 1e-11 event). Without `expectContinue: false` the body would wait for
      // the server's answer (docs/API.md §2.6) and never be written: the FIN is read first.
      const url = await rawServer(t, (socket) => {
        socket.end()
        socket.once('finish', () => socket.destroy())
      })
      const MAX_ATTEMPTS = 500
      const giveUpAt = Date.now() + 60000 // a bound on the loop, not a speed expectation
      for (let n = 1; ; n++) {
        const { report } = await failureOf(upload({ url, filePath: large.path, name: 'file', expectContinue: false }))
        if (report.code === ErrorCode.EPIPE || n === MAX_ATTEMPTS || Date.now() > giveUpAt) {
          t.log(`${report.code} at attempt ${n}, after ${n - 1} ECONNRESET`)
          return { report } // the harness checks it, and names the code it got
        }
        checkFailure(t, report, [ErrorCode.EPIPE, ErrorCode.ECONNRESET])
      }
    },
  },

  ERR_RESPONSE_TOO_LARGE: {
    title: 'a 1 KiB response with maxResponseBytes 100',
    async run(t) {
      const endpoint = server.endpoint({ body: 'x'.repeat(1024) })
      const { report } = await failureOf(
        upload({ url: endpoint.url, filePath: small.path, name: 'file', maxResponseBytes: 100 }),
      )
      const rec = await within(endpoint.received(), 10000, 'the request')
      t.true(rec.completed, 'the whole upload arrived: only the response was refused')
      return { report, errMsg: 'uploadFile:fail response too large (over maxResponseBytes, 100 bytes)' }
    },
  },

  ERR_TOO_MANY_REDIRECTS: {
    title: 'a 302 to a 302 to the target, with maxRedirects 1',
    async run(t) {
      const target = server.endpoint()
      const second = server.endpoint({ status: 302, headers: { location: target.url } })
      const first = server.endpoint({ status: 302, headers: { location: second.url } })
      const { report } = await failureOf(
        upload({ url: first.url, filePath: small.path, name: 'file', maxRedirects: 1 }),
      )
      t.is(second.records().length, 1, 'the first redirect was followed')
      t.is(target.records().length, 0)
      return { report, errMsg: 'uploadFile:fail too many redirects (maxRedirects is 1)' }
    },
  },

  ERR_INSECURE_REDIRECT: {
    title: 'https: a 307 to an http: URL',
    async run(t) {
      const plain = server.endpoint()
      const first = tlsServer.endpoint({ status: 307, headers: { location: plain.url } })
      const { report } = await failureOf(
        upload({ url: first.url, filePath: small.path, name: 'file', ca: tlsServer.ca }),
      )
      t.is(plain.records().length, 0)
      return { report, errMsg: 'uploadFile:fail redirect from https: to http: refused' }
    },
  },

  ERR_PROXY: {
    title: 'https: through a proxy that answers CONNECT with 407',
    async run(t) {
      const proxy = await startProxy({ auth: 'user:right' })
      t.teardown(() => proxy.close())
      const endpoint = tlsServer.endpoint()
      const { report } = await failureOf(
        upload({
          url: endpoint.url,
          filePath: small.path,
          name: 'file',
          ca: tlsServer.ca,
          proxy: `http://user:wrong@127.0.0.1:${proxy.port}`,
        }),
      )
      t.is(endpoint.records().length, 0)
      t.deepEqual(
        proxy.records.map((r) => r.method),
        ['CONNECT'],
      )
      t.notRegex(report.errMsg, /wrong/)
      return { report }
    },
  },

  ERR_TLS_CERT_INVALID: {
    title: 'https: a certificate signed by a CA the client does not trust',
    async run(t) {
      const endpoint = tlsServer.endpoint()
      const result = await failureOf(upload({ url: endpoint.url, filePath: small.path, name: 'file' }))
      t.is(endpoint.records().length, 0, 'no request reached the server')
      return result
    },
  },

  ERR_TLS_HANDSHAKE: {
    title: 'https: a server that answers the TLS ClientHello with plain HTTP',
    async run(t) {
      let hello = null
      const raw = await rawTcpServer(t, (socket) =>
        socket.once('data', (chunk) => {
          hello = chunk
          socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
        }),
      )
      const url = `https://127.0.0.1:${raw.port}/upload`
      const result = await failureOf(upload({ url, filePath: small.path, name: 'file' }))
      t.is(hello?.[0], 0x16, 'the client opened with a TLS handshake record')
      return result
    },
  },

  ERR_NETWORK: {
    title: 'a server that answers with bytes that are not HTTP',
    async run(t) {
      const url = await rawServer(t, (socket) => socket.write('SSH-2.0-OpenSSH_9.6\r\n'))
      return failureOf(upload({ url, filePath: small.path, name: 'file' }))
    },
  },

  // A bug (a panic in the upload's work) cannot be caused from JavaScript, and no switch to
  // cause one ships: the evidence is the Rust test named here, which `cargo test` runs. This
  // scenario checks that the test exists and settles a panicking upload with this code.
  ERR_INTERNAL: {
    title: 'a panic in the upload settles the task',
    rustTest: { file: 'src/task.rs', name: 'a_panic_in_the_work_settles_with_err_internal' },
  },
}

/** Checks that the Rust test `name` exists in `file` and asserts `code`. */
function checkRustEvidence(t, { file, name }, code) {
  const source = fs.readFileSync(path.join(PACKAGE_DIR, file), 'utf8')
  const start = source.search(new RegExp(`#\\[tokio::test\\]\\s*async fn ${name}\\(`))
  t.not(start, -1, `${file} has the test ${name}`)
  const next = source.indexOf('#[', start + 1)
  const body = source.slice(start, next === -1 ? undefined : next)
  t.true(body.includes(`ErrorCode::${code}`), `${name} asserts ErrorCode::${code}`)
}

// ---------------------------------------------------------------------------------------------
// The harness: one test per value of the enum.

test('every ErrorCode has a scenario, and every scenario is an ErrorCode', (t) => {
  const withoutScenario = CODES.filter((code) => !Object.hasOwn(scenarios, code))
  const unknown = Object.keys(scenarios).filter((code) => !CODES.includes(code))
  t.deepEqual(
    { withoutScenario, unknown },
    { withoutScenario: [], unknown: [] },
    `ErrorCode values without a scenario: [${withoutScenario.join(', ')}]; scenarios for codes that are not ErrorCode values: [${unknown.join(', ')}]`,
  )
})

for (const code of CODES) {
  const scenario = Object.hasOwn(scenarios, code) ? scenarios[code] : null
  if (scenario?.skip) {
    test.skip(`${code}: ${scenario.title} (skipped: ${scenario.skip})`, () => {})
    continue
  }
  if (scenario?.rustTest) {
    const evidence = `${scenario.rustTest.file} ${scenario.rustTest.name}`
    test(`${code}: ${scenario.title} (not producible from JavaScript; evidence: the Rust test ${evidence})`, (t) =>
      checkRustEvidence(t, scenario.rustTest, code))
    continue
  }
  const declare = scenario?.serial ? test.serial : test
  declare(`${code}: ${scenario ? scenario.title : 'NO SCENARIO'}`, async (t) => {
    if (!scenario) {
      t.fail(`ErrorCode.${code} has no scenario in __test__/errors.test.js`)
      return
    }
    const { report, errMsg } = await within(scenario.run(t), 90000, `the ${code} scenario`)
    checkFailure(t, report, [code])
    if (errMsg !== undefined) t.is(report.errMsg, errMsg)
  })
}

test('a throwing getter on the options: ERR_INVALID_ARG_VALUE, a one-line errMsg, the thrown error as cause', async (t) => {
  const thrown = new Error('line1\nline2')
  const endpoint = server.endpoint()
  const options = { filePath: small.path, name: 'file' }
  Object.defineProperty(options, 'url', {
    enumerable: true,
    get() {
      throw thrown
    },
  })
  const { error, report } = await failureOf(upload(options))
  checkFailure(t, report, [ErrorCode.ERR_INVALID_ARG_VALUE])
  t.true(report.errMsg.startsWith('uploadFile:fail parameter error: '), report.errMsg)
  t.true(report.errMsg.includes('line1'), report.errMsg)
  t.false(report.errMsg.includes('line2'), report.errMsg)
  t.is(error.cause, thrown)
  t.is(endpoint.records().length, 0)
})

// ---------------------------------------------------------------------------------------------
// The list of codes exists in three more places; each must agree with the enum.

/** `set` minus `other`, as a sorted array. */
const minus = (set, other) => [...set].filter((x) => !other.has(x)).sort()

test("the README's Errors table lists exactly the ErrorCode values, one row each", (t) => {
  const readme = fs.readFileSync(path.join(PACKAGE_DIR, 'README.md'), 'utf8')
  const lines = readme.split('\n')
  const start = lines.findIndex((line) => /^#{1,6}\s+Errors\s*$/.test(line))
  t.not(start, -1, 'the README has an "Errors" heading')
  const end = lines.findIndex((line, i) => i > start && /^#{1,6}\s/.test(line))
  const table = lines.slice(start + 1, end === -1 ? undefined : end).filter((line) => line.trimStart().startsWith('|'))
  t.true(table.length >= 2, 'the Errors section has a table')
  t.regex(table[0], /^\|\s*cause\s*\|\s*`errMsg`\s*\|\s*`code`\s*\|\s*$/, 'header: | cause | `errMsg` | `code` |')
  t.regex(table[1], /^\|(\s*:?-+:?\s*\|){3}\s*$/, 'the separator row')
  const codes = []
  for (const row of table.slice(2)) {
    const match = /^\|.*\|.*\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*$/.exec(row)
    t.truthy(match, `a row whose last column is not one code in backticks: ${row}`)
    if (match) codes.push(match[1])
  }
  const duplicates = codes.filter((code, i) => codes.indexOf(code) !== i)
  t.deepEqual(duplicates, [], `codes with more than one row: ${duplicates.join(', ')}`)
  const inTable = new Set(codes)
  const inEnum = new Set(CODES)
  const missing = minus(inEnum, inTable)
  const extra = minus(inTable, inEnum)
  t.deepEqual(
    { missing, extra },
    { missing: [], extra: [] },
    `ErrorCode values missing from the README's table: [${missing.join(', ')}]; codes in the table that are not ErrorCode values: [${extra.join(', ')}]`,
  )
})

test('index.d.ts names codes only through ErrorCode', (t) => {
  const dts = fs.readFileSync(path.join(PACKAGE_DIR, 'index.d.ts'), 'utf8')
  t.regex(
    dts,
    /export\s+type\s+UploadErrorCode\s*=\s*`\$\{ErrorCode\}`/,
    'UploadErrorCode is the template literal type of ErrorCode',
  )
  t.regex(dts, /readonly\s+code\s*:\s*UploadErrorCode\b/, 'UploadError.code is an UploadErrorCode')
  // A quoted code-looking string: UPPER_SNAKE_CASE, or E followed by capitals (ENOENT, EPIPE).
  const codeLooking = /(['"`])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|E[A-Z0-9]{3,})\1/g
  const quoted = (text) => [...text.matchAll(codeLooking)].map((m) => m[2])
  const unknown = [...new Set(quoted(dts))].filter((code) => !CODES.includes(code))
  t.deepEqual(unknown, [], `index.d.ts quotes codes that are not ErrorCode values: ${unknown.join(', ')}`)
  // Outside comments no code is spelled out at all: a type listing codes by hand would drift.
  const code = dts.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
  const handWritten = quoted(code)
  t.deepEqual(
    handWritten,
    [],
    `index.d.ts spells out codes in types instead of using ErrorCode: ${handWritten.join(', ')}`,
  )
})

test("binding.d.ts's enum ErrorCode has exactly the members of the runtime ErrorCode", (t) => {
  const dts = fs.readFileSync(path.join(PACKAGE_DIR, 'binding.d.ts'), 'utf8')
  const body = /export\s+declare\s+(?:const\s+)?enum\s+ErrorCode\s*\{([\s\S]*?)\}/.exec(dts)
  t.truthy(body, 'binding.d.ts declares enum ErrorCode')
  const members = body ? body[1].replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '') : ''
  const declared = [...members.matchAll(/([A-Za-z_$][\w$]*)\s*=\s*(['"])(.*?)\2/g)].map((m) => [m[1], m[3]])
  const entries = (list) => list.map(([name, value]) => `${name} = ${value}`).sort()
  t.deepEqual(entries(declared), entries(Object.entries(ErrorCode)))
  for (const [name, value] of Object.entries(ErrorCode)) t.is(value, name, `ErrorCode.${name} is its own name`)
})
