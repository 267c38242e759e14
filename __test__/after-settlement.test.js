'use strict'

// Nothing is sent after settlement (README, Reliability): when the response arrives before the
// body was sent (an early 413), or the upload times out or is aborted mid-body, the result is
// that response or failure, not one more byte is sent, the connection is closed and the file is
// closed, even when the server has stopped reading. Against raw `net` servers on 127.0.0.1, with
// sparse files large enough that the body is never sent whole, and /proc/self/fd to see the file.
//
// When the task settles while the server has stopped reading, the connection is blocked writing
// to a full socket and never polls the body again; the file is closed from outside the body all
// the same (src/upload.rs `Stop`, src/file_reader.rs `FileCloser`). The connection itself goes
// when the server reads or closes, or when the TCP user timeout passes (README, Reliability).

const test = require('ava')
const { uploadFile } = require('../index.js')
const { hasOpen, sparseFile } = require('./helpers/files.js')
const { afterHead, rawServer } = require('./helpers/raw.js')
const { deferred, failureOf, outcomeOf, resultOf, until, within } = require('./helpers/wait.js')

const MiB = 1024 * 1024
const EARLY_413 = 'HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n'

test.serial('after an early 413, nothing more is sent, the connection is closed and the file is closed', async (t) => {
  const size = 256 * MiB
  const file = await sparseFile(t, size)
  let received = 0
  let openAtHead
  const closed = deferred()
  const { url } = await rawServer(t, (socket) => {
    socket.on('close', () => closed.resolve())
    socket.on('data', (chunk) => {
      received += chunk.length
    })
    afterHead(socket, () => {
      openAtHead = hasOpen(file)
      // Answer at once, keep-alive, and go on reading (draining) the body.
      socket.write(EARLY_413)
    })
  })
  const result = await resultOf(uploadFile({ url, filePath: file, name: 'file' }), 20000)
  const atSettlement = received
  t.is(result.statusCode, 413)
  t.true(openAtHead, 'the upload had its file open when the request head arrived (the check can see it)')
  // The server reads on: once it sees the connection closed, nothing more can arrive on it.
  await within(closed.promise, 3000, 'the server seeing the connection closed')
  const atClose = received
  t.log(`bytes received: ${atSettlement} at settlement, ${atClose} when the connection closed (file ${size})`)
  t.true(atClose - atSettlement < 64 * MiB, 'after settlement, at most what the socket buffers held arrived')
  t.true(atClose < size, 'the body was cut short')
  await until(() => !hasOpen(file), 3000, 'the file being closed')
})

/**
 * A raw server that reads the request head and then `readFirst` more bytes, writes `answer` (if
 * given) when the head has arrived, and then reads nothing more: the connection stays open and
 * the client's writes stall. `stalled` resolves once it stopped reading.
 */
async function stallingServer(t, { answer, readFirst = 0 }) {
  const stalled = deferred()
  let stalledConnections = 0
  const stop = (socket) => {
    socket.pause()
    stalledConnections++
    stalled.resolve()
  }
  const raw = await rawServer(t, (socket) =>
    afterHead(socket, (_, first) => {
      if (answer) socket.write(answer)
      let body = first // body bytes read
      if (body >= readFirst) return stop(socket)
      const onData = (chunk) => {
        body += chunk.length
        if (body < readFirst) return
        socket.off('data', onData)
        stop(socket)
      }
      socket.on('data', onData)
    }),
  )
  return {
    url: raw.url,
    stalled: stalled.promise,
    get stalledConnections() {
      return stalledConnections
    },
  }
}

test.serial('after an early 413 from a server that then stops reading, the file is closed', async (t) => {
  const file = await sparseFile(t, 256 * MiB)
  const { url } = await stallingServer(t, { answer: EARLY_413 })
  const result = await resultOf(uploadFile({ url, filePath: file, name: 'file' }), 10000)
  t.is(result.statusCode, 413)
  await until(() => !hasOpen(file), 2000, 'the file being closed after settlement')
  t.pass()
})

test.serial('a deadline that passes while the server reads nothing closes the file', async (t) => {
  const file = await sparseFile(t, 256 * MiB)
  const { url, stalled } = await stallingServer(t, {})
  const error = await failureOf(uploadFile({ url, filePath: file, name: 'file', timeout: 1000 }), 10000)
  await stalled
  t.is(error.code, 'ETIMEDOUT')
  await until(() => !hasOpen(file), 2000, 'the file being closed after the deadline')
  t.pass()
})

// Five at once: before the fix, at least one of five stayed open in every trial.
test.serial('abort() while the server reads nothing closes the file', async (t) => {
  const files = await Promise.all(Array.from({ length: 5 }, (_, i) => sparseFile(t, 256 * MiB, `stall-${i}.bin`)))
  const stalling = await stallingServer(t, { readFirst: 30 * MiB })
  const movedAt = files.map(() => Date.now()) // when each upload last reported progress
  const tasks = files.map((file, i) =>
    uploadFile({ url: stalling.url, filePath: file, name: 'file', timeout: Number.POSITIVE_INFINITY }).onProgressUpdate(
      () => {
        movedAt[i] = Date.now()
      },
    ),
  )
  const outcomes = tasks.map((task) => outcomeOf(task))
  await until(() => stalling.stalledConnections === files.length, 20000, 'the server reading 30 MiB of each upload')
  // The socket buffers fill and the uploads stall: no progress for longer than the 200 ms window
  // in which progress reports bytes that moved (docs/API.md §4).
  await until(() => movedAt.every((at) => Date.now() - at > 400), 10000, 'every upload stalling')
  for (const task of tasks) task.abort()
  for (const outcome of outcomes) t.is((await outcome).error.code, 'ABORT_ERR')
  await until(() => files.every((file) => !hasOpen(file)), 2000, 'every file being closed after abort()')
  t.pass()
})
