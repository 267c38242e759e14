'use strict'

// The smaller field failures of issue 14, each against a real server on 127.0.0.1: a raw UTF-8
// `Location` is followed as fetch follows it; a throw while an option is read names that option;
// the per-environment client cache keeps reuse for many settings (docs/API.md §2, `ca`);
// `profile.sendBytesCount` is what was handed to the connection; header values are checked and
// sent as Node checks and sends them (`ERR_INVALID_CHAR`, Latin-1 as Latin-1).

const { execFile } = require('node:child_process')
const http = require('node:http')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { makeTempFile, startServer, within } = require('../testing')
const { assertNothingArrived } = require('./helpers/assert.js')
const { afterHead, rawServer, readRequests } = require('./helpers/raw.js')
const { useServer, useTempFile } = require('./helpers/setup.js')
const { failureOf, resultOf, until } = require('./helpers/wait.js')

const server = useServer(test)
const small = useTempFile(test, 16 * 1024, { name: 'small.bin' })

const base = (options) => ({ filePath: small.path, name: 'file', ...options })

/** The request target of a request head (`POST /x HTTP/1.1` → `/x`). */
const targetOf = (head) => head.split('\r\n', 1)[0].split(' ')[1]

// ---------------------------------------------------------------------------------------------
// A raw UTF-8 Location

/**
 * A raw server answering its first request with a 303 whose `Location` is the raw bytes of
 * `location`, and every other request with 200 `landed`. `targets` lists the request targets.
 */
async function redirectingRaw(t, location) {
  const targets = []
  const raw = await rawServer(t, (socket) =>
    readRequests(socket, {
      onRequest({ head }) {
        targets.push(targetOf(head))
        if (targets.length % 2 === 1) {
          const headText = 'HTTP/1.1 303 See Other\r\nLocation: '
          socket.write(Buffer.concat([Buffer.from(headText), location, Buffer.from('\r\nContent-Length: 0\r\n\r\n')]))
        } else {
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nlanded')
        }
      },
    }),
  )
  return { url: raw.url, targets }
}

test('a raw UTF-8 Location is percent-encoded and followed, to the target fetch requests', async (t) => {
  const utf8 = Buffer.from('/über/ziel?q=ä', 'utf8')
  const ours = await redirectingRaw(t, utf8)
  const res = await resultOf(uploadFile(base({ url: ours.url })))
  t.is(res.statusCode, 200, 'followed, not returned as the 303')
  t.is(res.data, 'landed')
  t.deepEqual(ours.targets, ['/upload', '/%C3%BCber/ziel?q=%C3%A4'])

  const theirs = await redirectingRaw(t, utf8)
  const answer = await within(fetch(theirs.url, { method: 'POST', body: 'x' }), 10000, 'fetch')
  t.is(await answer.text(), 'landed')
  t.deepEqual(theirs.targets, ours.targets, "fetch's own requests")

  const latin1 = await redirectingRaw(t, Buffer.from('/caf\xe9', 'latin1'))
  t.is((await resultOf(uploadFile(base({ url: latin1.url })))).statusCode, 200)
  t.deepEqual(latin1.targets, ['/upload', '/caf%E9'], 'a byte that is not UTF-8 is percent-encoded as it is')
})

// ---------------------------------------------------------------------------------------------
// Option read errors name the option

const throwing = (message) => () => {
  throw new Error(message)
}

test('a getter or Proxy trap that throws while an option is read: a parameter error naming that option, nothing sent', async (t) => {
  const revoked = Proxy.revocable({}, {})
  revoked.revoke()
  const cases = [
    ['header', { header: new Proxy({}, { ownKeys: throwing('ownKeys boom') }) }, 'ownKeys boom'],
    ['header', { header: revoked.proxy }, 'revoked'],
    [
      'header.X-A',
      {
        header: {
          get 'X-A'() {
            throw new Error('getter boom')
          },
        },
      },
      'getter boom',
    ],
    ['formData', { formData: new Proxy({}, { ownKeys: throwing('form keys') }) }, 'form keys'],
    ['ca', { ca: new Proxy([], { get: throwing('ca trap') }) }, 'ca trap'],
    ['retry', { retry: revoked.proxy }, 'revoked'],
    ['fail', { fail: revoked.proxy }, 'revoked'],
  ]
  const endpoint = server.endpoint()
  for (const [name, change, thrown] of cases) {
    const error = await failureOf(uploadFile(base({ url: endpoint.url, ...change })))
    t.is(error.code, 'ERR_INVALID_ARG_VALUE', name)
    t.true(
      error.errMsg.startsWith(`uploadFile:fail parameter error: parameter.${name} could not be read: `),
      `${name}: ${error.errMsg}`,
    )
    t.true(error.errMsg.includes(thrown), `${name}: ${error.errMsg}`)
  }
  await assertNothingArrived(t, server, endpoint, small.path)
})

test('a revoked Proxy as the options: a parameter error, never a throw', async (t) => {
  const revoked = Proxy.revocable({}, {})
  revoked.revoke()
  let task
  t.notThrows(() => {
    task = uploadFile(revoked.proxy)
  })
  const error = await failureOf(task)
  t.is(error.code, 'ERR_INVALID_ARG_VALUE')
  t.true(error.errMsg.startsWith('uploadFile:fail parameter error: parameter could not be read: '), error.errMsg)
})

// ---------------------------------------------------------------------------------------------
// The client cache keeps reuse for many settings

/** `count` distinct self-signed certificates (PEM), made with the openssl command. */
async function extraCertificates(count) {
  const one = (i) =>
    new Promise((resolve, reject) => {
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', '/dev/null']
      const args = ['req', '-x509', ...ec, '-days', '1', '-subj', `/CN=upload-task extra root ${i}`]
      execFile('openssl', args, (error, stdout) => (error ? reject(error) : resolve(stdout)))
    })
  return Promise.all(Array.from({ length: count }, (_, i) => one(i)))
}

test('uploads cycling through 10 distinct ca settings reuse one connection per setting', async (t) => {
  // More settings than the 8 clients kept before, well within the 32 kept now. The uploads of
  // one round follow each other closely: each connection is idle far less than any pool timeout.
  const SETTINGS = 10
  const ROUNDS = 4
  const tls = await startServer({ tls: true })
  t.teardown(() => tls.close())
  const extra = await within(extraCertificates(SETTINGS), 30000, 'openssl')
  for (let round = 0; round < ROUNDS; round++) {
    for (const root of extra) {
      const res = await resultOf(uploadFile(base({ url: tls.endpoint().url, ca: [tls.ca, root] })))
      t.is(res.statusCode, 200)
    }
  }
  t.is(tls.records.length, SETTINGS * ROUNDS)
  t.is(tls.connections, SETTINGS, `${tls.connections} TLS connections for ${SETTINGS * ROUNDS} uploads`)
})

// ---------------------------------------------------------------------------------------------
// sendBytesCount is what was written

test('profile.sendBytesCount: what was handed to the connection when an early 413 stopped the body', async (t) => {
  // 48 MiB: far more than loopback's socket buffers hold while the server does not read.
  const large = await makeTempFile(48 * 1024 * 1024, { name: 'large.bin' })
  t.teardown(() => large.remove())
  const STOP_AT = 66 * 1024
  let read = 0
  const raw = await rawServer(t, (socket) =>
    afterHead(socket, (_socket, first) => {
      read = first
      const onData = (chunk) => {
        read += chunk.length
        if (read < STOP_AT) return
        socket.off('data', onData)
        socket.pause() // stops reading: the client's writes fill the buffers, then wait
        socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\n\r\ntoo large')
      }
      socket.on('data', onData)
    }),
  )
  const res = await resultOf(uploadFile({ url: raw.url, filePath: large.path, name: 'file', enableProfile: true }))
  t.is(res.statusCode, 413)
  const sent = res.profile.sendBytesCount
  t.log(`the server read ${read} body bytes; sendBytesCount ${sent}; the file alone ${large.size}`)
  t.true(sent >= read, `at least what the server read (${sent} ≥ ${read})`)
  t.true(sent < large.size / 2, `far less than the body (${sent} < ${large.size / 2}): the body stopped`)
})

// ---------------------------------------------------------------------------------------------
// Header values as Node checks and sends them

/** Whether Node's http client takes `value` as a header value. */
function nodeTakes(value) {
  try {
    http.validateHeaderValue('X-Probe', value)
    return true
  } catch (error) {
    if (error.code !== 'ERR_INVALID_CHAR') throw error
    return false
  }
}

test('header values: every character Node refuses is ERR_INVALID_CHAR naming the header, nothing sent', async (t) => {
  const raw = await rawServer(t, (socket) => socket.destroy())
  const probes = []
  for (let code = 0; code < 0x200; code++) probes.push(String.fromCodePoint(code))
  probes.push('\u2026', '\u20ac', '\ufffd', '\u{1f600}')
  const refused = probes.filter((c) => !nodeTakes(`a${c}b`))
  t.true(refused.includes('\r') && refused.includes('\0') && refused.includes('\u2026'), 'Node refuses these')
  t.false(refused.includes('\t') || refused.includes('\xe9'), 'Node takes these')
  for (const character of refused) {
    const hex = character.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')
    const error = await failureOf(uploadFile(base({ url: raw.url, header: { 'X-Probe': `a${character}b` } })))
    t.is(error.code, 'ERR_INVALID_CHAR', `U+${hex}`)
    t.true(error.errMsg.startsWith('uploadFile:fail parameter error: parameter.header["X-Probe"] '), error.errMsg)
    t.true(error.errMsg.includes(`(U+${hex})`), error.errMsg)
  }
  t.is(raw.connections, 0, `no connection for any of ${refused.length} refused values`)
})

test('header values: what Node takes is sent as Node sends it, Latin-1 as single bytes (é is 0xE9)', async (t) => {
  const taken = []
  for (let code = 0x20; code < 0x100; code++) {
    const c = String.fromCharCode(code)
    if (nodeTakes(c)) taken.push(c)
  }
  const value = `x\t${taken.join('')}x`
  const heads = []
  const raw = await rawServer(t, (socket) =>
    readRequests(socket, {
      onRequest({ head }) {
        heads.push(head)
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
      },
    }),
  )
  const latinOf = (head) =>
    head
      .split('\r\n')
      .find((line) => line.toLowerCase().startsWith('x-latin: '))
      ?.slice('x-latin: '.length)
  t.is((await resultOf(uploadFile(base({ url: raw.url, header: { 'X-Latin': value } })))).statusCode, 200)
  await new Promise((resolve, reject) => {
    const req = http.request(raw.url, { method: 'POST', headers: { 'X-Latin': value }, agent: false }, (res) => {
      res.resume()
      res.on('end', resolve)
    })
    req.on('error', reject)
    // A Buffer body: with a string body, Node writes the head in that string's encoding (UTF-8)
    // instead of its own latin1.
    req.end(Buffer.from('x'))
  })
  await until(() => heads.length === 2, 10000, 'both requests')
  const [ours, nodes] = heads.map(latinOf)
  t.is(ours, value, 'every character as its one Latin-1 byte (heads are read as latin1)')
  t.is(ours, nodes, "the bytes Node's http client sends")
  t.true(heads[0].includes('\xe9'), 'é arrived as the byte 0xE9')
})
