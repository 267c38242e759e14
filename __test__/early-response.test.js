'use strict'

// Early final responses are results whatever the server does with the connection afterwards
// (docs/API.md §3): a raw server that answers 413 with a body and `Connection: close` as soon as
// it has the request head, and closes without reading the 8 MiB body, closes a connection with
// unread data, which the kernel turns into a reset. The upload's writes then fail while the 413
// already sits in the socket: the 413 and its body are the result every time, after the headers
// event.

const net = require('node:net')
const tls = require('node:tls')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { listen } = require('../testing')
const { useCertificates, useTempFile } = require('./helpers/setup.js')
const { outcomeOf } = require('./helpers/wait.js')

const file = useTempFile(test, 8 * 1024 * 1024, { name: 'early.bin' })
const certificates = useCertificates(test)

const REFUSAL = 'too large: this server takes 1 MiB at most'

/**
 * A raw server (TLS with `secure`) that answers every request 413 with {@link REFUSAL} and `Connection: close` once
 * it has the request head, then closes the socket without reading the body.
 * @returns {Promise<{ url: string, heads: () => number, close: () => Promise<void> }>}
 */
async function refusingServer(secure = null) {
  let heads = 0
  const onSocket = (socket) => {
    let head = ''
    socket.on('error', () => {})
    socket.on('data', function onData(chunk) {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.off('data', onData)
      socket.pause()
      heads++
      const response = `HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain\r\nContent-Length: ${REFUSAL.length}\r\nConnection: close\r\n\r\n${REFUSAL}`
      socket.write(response, () => socket.destroy())
    })
  }
  const server = secure ? tls.createServer(secure, onSocket) : net.createServer(onSocket)
  const { port, close } = await listen(server)
  return { url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}/up`, heads: () => heads, close }
}

/** One upload of the 8 MiB file to `url` (with `options`): its status and body, or its error. */
async function outcome(url, options = {}) {
  const task = uploadFile({ url, filePath: file.path, name: 'file', ...options })
  let headers = false
  task.onHeadersReceived(() => {
    headers = true
  })
  const { res, error } = await outcomeOf(task, 20000)
  if (error) return `${error.code} (${error.errMsg})`
  return `${res.statusCode} ${res.data === REFUSAL ? 'with its body' : 'without its body'}${headers ? '' : ' without a headers event'}`
}

const EVERY_TIME = '413 with its body'

test('an early 413 with Connection: close, the body unread, is the result of 20 sequential uploads', async (t) => {
  const server = await refusingServer()
  t.teardown(server.close)
  const outcomes = []
  for (let run = 0; run < 20; run++) outcomes.push(await outcome(server.url))
  t.deepEqual(outcomes, Array(20).fill(EVERY_TIME))
  t.is(server.heads(), 20, 'one request per upload: none sent again')
})

test('an early 413 with Connection: close is the result of 10 concurrent uploads', async (t) => {
  const server = await refusingServer()
  t.teardown(server.close)
  const outcomes = await Promise.all(Array.from({ length: 10 }, () => outcome(server.url)))
  t.deepEqual(outcomes, Array(10).fill(EVERY_TIME))
  t.is(server.heads(), 10)
})

test('over TLS too: an early 413 with Connection: close is the result of 10 sequential uploads', async (t) => {
  const server = await refusingServer({ cert: certificates.cert, key: certificates.key })
  t.teardown(server.close)
  const outcomes = []
  for (let run = 0; run < 10; run++) outcomes.push(await outcome(server.url, { ca: certificates.ca }))
  t.deepEqual(outcomes, Array(10).fill(EVERY_TIME))
  t.is(server.heads(), 10)
})
