'use strict'

// A response with many header lines (README, Reliability: up to Node's `maxHeadersCount`, 2,000)
// is a normal success with every header, in `res.header` and in `onHeadersReceived`, and the
// upload is sent once. Against a raw `net` server that writes the head by hand.

const test = require('ava')
const { uploadFile } = require('../index.js')
const { rawServer, readRequests } = require('./helpers/raw.js')
const { useTempFile } = require('./helpers/setup.js')
const { deferred, resultOf, staysPending } = require('./helpers/wait.js')

const small = useTempFile(test, 4 * 1024, { name: 'small.bin' })

test('a response with 1500 header lines succeeds with all of them, after exactly one request', async (t) => {
  const LINES = 1500
  let requests = 0
  const second = deferred()
  const lines = Array.from({ length: LINES }, (_, i) => `X-Header-${i}: value-${i}-${'v'.repeat(i % 17)}`)
  const raw = await rawServer(t, (socket) => {
    readRequests(socket, {
      onHead: () => {
        requests++
        if (requests === 2) second.resolve()
      },
      onRequest: () => socket.write(`HTTP/1.1 200 OK\r\n${lines.join('\r\n')}\r\nContent-Length: 2\r\n\r\nok`),
    })
  })
  const headerEvents = []
  const result = await resultOf(
    uploadFile({ url: raw.url, filePath: small.path, name: 'file' }).onHeadersReceived((e) => headerEvents.push(e)),
  )
  t.is(result.statusCode, 200)
  t.is(result.data, 'ok')
  t.is(headerEvents.length, 1)
  for (const [what, header] of [
    ['res.header', result.header],
    ['onHeadersReceived', headerEvents[0].header],
  ]) {
    t.is(Object.keys(header).length, LINES + 1, `${what}: every line, and Content-Length`)
    const missing = lines.filter((line) => {
      const [name, value] = line.split(': ')
      return header[name.toLowerCase()] !== value
    })
    t.deepEqual(missing, [], `${what}: every header with its value`)
  }
  t.true(await staysPending(second.promise, 300), 'a second request arrived')
  t.is(requests, 1, 'the server saw exactly one request (no retry)')
  t.is(raw.connections, 1)
})
