'use strict'

// connectTimeout (docs/API.md §2): how long setting up each new connection may take (name
// lookup, TCP, the proxy tunnel or SOCKS handshake, TLS). A pooled connection is set up at once;
// the wait for `100 Continue` is not connecting. Against raw servers that accept TCP and never
// answer (a TLS handshake, a SOCKS greeting, a CONNECT), a TLS server behind a forwarder that
// holds its first bytes back (a slow handshake), and a `node:http` server that answers
// `100 Continue` late.

const fs = require('node:fs')
const http = require('node:http')
const net = require('node:net')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { listen, within } = require('../testing')
const { assertExit, cli } = require('./helpers/cli.js')
const { rawServer } = require('./helpers/raw.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { outcomeOf } = require('./helpers/wait.js')

const small = useTempFile(test, 64 * 1024, { name: 'connect-small.bin' })
const medium = useTempFile(test, 2 << 20, { name: 'connect-medium.bin' })
const tls = useServer(test, { tls: true })

/** An upload of `file` (default: the small one) with `options`, settled: `{ res }` or `{ error }`. */
const upload = (options, file = small) =>
  outcomeOf(uploadFile({ filePath: file.path, name: 'file', timeout: 20000, ...options }))

/** A raw server that accepts and reads, and never writes; `bytes` counts what it got. */
async function silentServer(t) {
  const got = { bytes: 0 }
  const server = await rawServer(t, (socket) =>
    socket.on('data', (chunk) => {
      got.bytes += chunk.length
    }),
  )
  return Object.assign(got, { port: server.port })
}

/** Asserts a connect timeout that came after about `limit` ms (never before, well before 10 s). */
function assertConnectTimeout(t, { error }, startedAt, limit) {
  const took = performance.now() - startedAt
  t.truthy(error, 'the upload failed')
  t.is(error?.code, 'ETIMEDOUT')
  t.is(error?.phase, 'connect')
  t.is(error?.errMsg, 'uploadFile:fail timeout')
  t.false(error !== undefined && 'cause' in error, 'a network failure has no cause (README, "Errors")')
  t.true(took >= limit - 5 && took < 10000, `failed after ${Math.round(took)} ms`)
}

test('a TLS handshake that never completes fails with ETIMEDOUT, phase connect, at connectTimeout', async (t) => {
  const server = await silentServer(t)
  const startedAt = performance.now()
  const outcome = await upload({ url: `https://127.0.0.1:${server.port}/up`, connectTimeout: 300 })
  assertConnectTimeout(t, outcome, startedAt, 300)
  t.true(server.bytes > 0 && server.bytes < small.size, `the server got the ClientHello only (${server.bytes} bytes)`)
})

test('a SOCKS5 proxy, and an HTTP proxy asked for a CONNECT tunnel, that never answer: ETIMEDOUT, phase connect', async (t) => {
  const target = tls.endpoint()
  for (const scheme of ['socks5', 'socks5h', 'http']) {
    const proxy = await silentServer(t)
    const startedAt = performance.now()
    const outcome = await upload({
      url: target.url,
      ca: tls.ca,
      proxy: `${scheme}://127.0.0.1:${proxy.port}`,
      connectTimeout: 300,
    })
    assertConnectTimeout(t, outcome, startedAt, 300)
    t.true(proxy.bytes > 0, `${scheme}: the proxy was asked`)
  }
  t.is(target.records().length, 0)
})

test('without connectTimeout (0, null, absent) a stalled handshake waits for the deadline', async (t) => {
  const server = await silentServer(t)
  for (const connectTimeout of [0, null, undefined]) {
    const outcome = await upload({ url: `https://127.0.0.1:${server.port}/up`, connectTimeout, timeout: 600 })
    t.is(outcome.error?.code, 'ETIMEDOUT')
    t.is(outcome.error?.phase, 'connect')
  }
  const { error } = await upload({ url: `https://127.0.0.1:${server.port}/up`, connectTimeout: -1 })
  t.is(error?.code, 'ERR_INVALID_ARG_VALUE')
  t.regex(error?.errMsg ?? '', /parameter\.connectTimeout/)
})

/**
 * A forwarder to `port` that holds the first bytes of each connection's answer back `delay` ms:
 * a TLS server behind it takes that long to set a connection up. `connections` counts them.
 */
async function slowStart(t, port, delay) {
  const counts = { connections: 0 }
  const sockets = new Set()
  const forwarder = net.createServer((client) => {
    counts.connections++
    const upstream = net.connect(port, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream)
    upstream.pause()
    setTimeout(() => upstream.pipe(client), delay)
  })
  const { port: own, close } = await listen(forwarder)
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    return close()
  })
  return Object.assign(counts, { url: (path) => `https://127.0.0.1:${own}${path}` })
}

test('a pooled connection is set up at once: connectTimeout times only new connections', async (t) => {
  const slow = await slowStart(t, tls.port, 600)
  const endpoint = tls.endpoint()
  const url = slow.url(new URL(endpoint.url).pathname)
  // A new connection takes 600 ms: over a limit of 200 ms, it fails.
  const startedAt = performance.now()
  assertConnectTimeout(t, await upload({ url, ca: tls.ca, connectTimeout: 200 }), startedAt, 200)
  // Without the limit it is set up, and kept in the pool.
  const first = await upload({ url, ca: tls.ca })
  t.is(first.res?.statusCode, 200, first.error?.errMsg)
  const opened = slow.connections
  // The next upload, with the same limit, goes out on it.
  const second = await upload({ url, ca: tls.ca, connectTimeout: 200 })
  t.is(second.res?.statusCode, 200, second.error?.errMsg)
  t.is(slow.connections, opened, 'no new connection')
  t.is(endpoint.records().length, 2)
})

/**
 * A `node:http` server that sends `100 Continue` `late` ms after each request head and answers
 * 200 with `Connection: close` (each upload opens a new connection) once both that happened and
 * the body was read; `seen` gets `{ headAt, firstByteAt, bytes }` for each request that carried
 * `Expect`.
 */
async function lateContinueServer(t, late) {
  const seen = []
  const server = http.createServer((req, res) => req.resume().on('end', () => res.end('ok')))
  server.on('checkContinue', (req, res) => {
    const request = { headAt: performance.now(), firstByteAt: 0, bytes: 0 }
    seen.push(request)
    let waiting = 2
    const step = () => {
      waiting -= 1
      if (waiting === 0) res.writeHead(200, { connection: 'close' }).end('ok')
    }
    req.on('data', (chunk) => {
      request.firstByteAt ||= performance.now()
      request.bytes += chunk.length
    })
    req.on('end', step)
    setTimeout(() => {
      res.writeContinue()
      step()
    }, late)
  })
  const { close } = await listen(server)
  t.teardown(close)
  return { url: `http://127.0.0.1:${server.address().port}/up`, seen }
}

test('the wait for 100 Continue is not connecting: a body held past connectTimeout goes, 200', async (t) => {
  const server = await lateContinueServer(t, 600)
  // The first upload teaches the origin's late answer (its wait is then 1 s, API.md §2.6).
  const first = await upload({ url: server.url, connectTimeout: 300 }, medium)
  t.is(first.res?.statusCode, 200, first.error?.errMsg)
  const second = await upload({ url: server.url, connectTimeout: 300 }, medium)
  t.is(second.res?.statusCode, 200, second.error?.errMsg)
  t.is(server.seen.length, 2, 'both carried Expect: 100-continue')
  const held = server.seen[1].firstByteAt - server.seen[1].headAt
  t.true(held > 400, `the second body was held ${Math.round(held)} ms, past the connect timeout`)
  t.true(server.seen[1].bytes > medium.size, 'the whole multipart body arrived')
})

test('a server that ignores Expect: a 2 MiB upload with connectTimeout 300 succeeds', async (t) => {
  const server = await rawServer(t, (socket) => {
    let bytes = 0
    socket.on('data', (chunk) => {
      bytes += chunk.length
      if (bytes > medium.size) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')
    })
  })
  const { res, error } = await upload({ url: server.url, connectTimeout: 300 }, medium)
  t.is(res?.statusCode, 200, error?.errMsg)
  t.is(res?.data, 'ok')
})

// The command line: --connect-timeout is connectTimeout, in seconds.

test('CLI: exit 28 when the TLS handshake stalls; exit 0 to a server that answers 100 late and to a TCP-only server with --http3', async (t) => {
  const stall = await silentServer(t)
  const stalled = await cli([
    '-q',
    '--connect-timeout',
    '0.3',
    '-F',
    `file=@${small.path}`,
    `https://127.0.0.1:${stall.port}/`,
  ])
  assertExit(t, stalled, 28)
  t.regex(stalled.stderr, /^upload-task: uploadFile:fail timeout \(ETIMEDOUT, phase connect\)\n$/)
  const late = await lateContinueServer(t, 600)
  const held = await cli(['-q', '--connect-timeout', '0.3', '-F', `file=@${medium.path}`, late.url])
  assertExit(t, held, 0)
  t.is(held.stdout, 'ok')
  // --http3 to a server without QUIC: the fallback wait (1 s) is not connecting either.
  const endpoint = tls.endpoint({ body: 'tcp' })
  const caFile = `${small.path}.ca.pem`
  fs.writeFileSync(caFile, tls.ca)
  const args = ['-q', '--http3', '--connect-timeout', '0.3', '--cacert', caFile, '-F', `file=@${small.path}`]
  const quic = await within(cli([...args, endpoint.url]), 20000, 'the CLI')
  assertExit(t, quic, 0)
  t.is(quic.stdout, 'tcp')
})

test('with retry, a connection that was not set up in time is tried again: one body arrives, attempts is 2', async (t) => {
  // A forwarder to the TLS server that holds its first connection silent, then forwards.
  const endpoint = tls.endpoint()
  let connections = 0
  const sockets = new Set()
  const forwarder = net.createServer((client) => {
    connections++
    sockets.add(client)
    client.on('error', () => {})
    if (connections === 1) return
    const upstream = net.connect(tls.port, '127.0.0.1')
    sockets.add(upstream)
    upstream.on('error', () => {})
    client.pipe(upstream).pipe(client)
  })
  const { port, close } = await listen(forwarder)
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    return close()
  })
  const url = `https://127.0.0.1:${port}${new URL(endpoint.url).pathname}`
  // Without retry the stall is the result.
  const alone = await upload({ url, ca: tls.ca, connectTimeout: 300 })
  t.is(alone.error?.code, 'ETIMEDOUT')
  t.is(alone.error?.attempts, 1)
  connections = 0
  const { res, error } = await upload({ url, ca: tls.ca, connectTimeout: 300, retry: { limit: 2, backoff: 10 } })
  t.is(res?.statusCode, 200, error?.errMsg)
  t.is(res?.attempts, 2)
  t.is(connections, 2)
  t.is(endpoint.records().length, 1, 'the server got the upload once')
})
