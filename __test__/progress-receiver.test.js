'use strict'

// Progress against a receiver that stalls or reads slowly (README, Reliability; docs/API.md §4):
// the bytes handed over are still reported when the receiver stops reading (the trailing edge of
// the throttle), and a slow receiver gets events at a steady pace. Against raw `net` servers that
// pause their sockets, with sparse files larger than ever gets sent.

const test = require('ava')
const { uploadFile } = require('../index.js')
const { sparseFile } = require('./helpers/files.js')
const { afterHead, rawServer } = require('./helpers/raw.js')
const { deferred, outcomeOf, until, within } = require('./helpers/wait.js')

const MiB = 1024 * 1024

/** The median of a list of numbers. */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/**
 * An upload of `file` to `url` without a deadline: the task, its progress events stamped with
 * the time they came (`at`), and its outcome (bounded).
 */
function watchedUpload(url, file) {
  const events = []
  const task = uploadFile({ url, filePath: file, name: 'file', timeout: Number.POSITIVE_INFINITY })
  task.onProgressUpdate((e) => events.push({ ...e, at: Date.now() }))
  return { task, events, outcome: outcomeOf(task, 30000) }
}

test.serial('a receiver that stops reading: progress still reports where the upload stalled', async (t) => {
  const file = await sparseFile(t, 256 * MiB)
  let received = -1 // body bytes (as totalBytesSent counts them); -1 until the request head arrived
  let paused = false
  let serverSocket
  const ended = deferred()
  const { url } = await rawServer(t, (socket) => {
    serverSocket = socket
    socket.on('close', () => ended.resolve())
    const count = (bytes) => {
      received += bytes
      if (!paused && received >= 30 * MiB) {
        paused = true
        socket.pause() // keeps the socket open, reads nothing more
      }
    }
    afterHead(socket, (_, first) => {
      received = 0
      count(first)
      socket.on('data', (chunk) => count(chunk.length))
    })
  })
  const { task, events, outcome } = watchedUpload(url, file)
  await until(() => paused, 20000, 'the server reading 30 MiB')
  const pausedAt = Date.now()
  const readBeforePause = received
  await until(
    () => events.some((e) => e.totalBytesSent >= readBeforePause),
    3000,
    'a progress event past what the server read',
  )
  // Wait until no event came for 700 ms: everything handed over has been reported.
  await until(() => Date.now() - events.at(-1).at > 700, 5000, 'progress events stopping')
  const last = events.at(-1)
  t.log(
    `server read ${readBeforePause} bytes then paused; last event ${last.totalBytesSent} bytes, ${last.at - pausedAt} ms after the pause`,
  )

  // Abort, then drain: every body byte the server now gets was handed over before the abort.
  task.abort()
  t.is((await outcome).error.code, 'ABORT_ERR')
  serverSocket.resume()
  await within(ended.promise, 5000, 'the server reading to the end of the connection')
  t.log(`the server received ${received} bytes in all`)
  t.true(
    last.totalBytesSent >= received,
    `the last event (${last.totalBytesSent}) counts every byte that arrived (${received})`,
  )
  t.true(last.totalBytesSent < last.totalBytesExpectedToSend)
})

test.serial('a slow receiver (1 MiB per 100 ms) gets progress events at a steady pace', async (t) => {
  const file = await sparseFile(t, 1024 * MiB)
  let budget = MiB
  const sockets = []
  const { url } = await rawServer(t, (socket) => {
    sockets.push(socket)
    socket.on('data', (chunk) => {
      budget -= chunk.length
      if (budget <= 0) socket.pause()
    })
  })
  const pace = setInterval(() => {
    budget = MiB
    for (const socket of sockets) socket.resume()
  }, 100)
  t.teardown(() => clearInterval(pace))
  const { task, events, outcome } = watchedUpload(url, file)
  // After the socket buffers filled (the first 500 ms), until a dozen events came: at the pace
  // this test wants (a median gap under 400 ms) that takes under 5 s.
  const steadyEvents = () => events.filter((e) => e.at - events[0].at >= 500)
  await until(() => steadyEvents().length >= 12, 15000, 'a dozen progress events after the first 500 ms')
  task.abort()
  t.is((await outcome).error.code, 'ABORT_ERR')
  const steady = steadyEvents()
  const gaps = steady.slice(1).map((e, i) => e.at - steady[i].at)
  t.log(`${events.length} events; gaps after the first 500 ms (ms): median ${median(gaps)}, max ${Math.max(...gaps)}`)
  t.true(gaps.length >= 4, `${gaps.length} gaps`)
  t.true(median(gaps) < 400, `median gap ${median(gaps)} ms`)
  t.true(
    steady.every((e, i) => i === 0 || e.totalBytesSent > steady[i - 1].totalBytesSent),
    'each event reports bytes that moved',
  )
})
