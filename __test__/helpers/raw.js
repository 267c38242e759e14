'use strict'

/**
 * Raw TCP servers on 127.0.0.1, for what HTTP servers are too polite to do (stall, reset, answer
 * garbage), the reading of requests on them, and Node's own wording of file errors to compare with.
 */

const fs = require('node:fs')
const net = require('node:net')

/**
 * A raw server; `onSocket(socket)` gets each connection. Closed, with its connections, when the
 * test ends. `connections` counts the connections accepted.
 * @returns {Promise<{ port: number, url: string, readonly connections: number }>}
 */
async function rawServer(t, onSocket) {
  const sockets = new Set()
  let connections = 0
  const raw = net.createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {}) // resets are what several scenarios are about
    onSocket(socket)
  })
  await new Promise((resolve) => raw.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    return new Promise((resolve) => raw.close(resolve))
  })
  const { port } = raw.address()
  return {
    port,
    url: `http://127.0.0.1:${port}/upload`,
    get connections() {
      return connections
    },
  }
}

/**
 * Calls `onHead(socket, bodyBytes)` once the request head (up to its blank line) has arrived,
 * with the number of body bytes that came with it; from then on the caller decides what is read.
 */
function afterHead(socket, onHead) {
  let head = ''
  const onData = (chunk) => {
    head += chunk.toString('latin1')
    const end = head.indexOf('\r\n\r\n')
    if (end < 0) return
    socket.off('data', onData)
    onHead(socket, head.length - end - 4)
  }
  socket.on('data', onData)
}

/** Lower-case header names to values (the last one wins) of a request or response head. */
function headersOf(head) {
  const headers = {}
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return headers
}

/**
 * Reads HTTP/1.1 requests (with a Content-Length body, as the addon always sends) from `socket`,
 * one after another: `onHead(request)` as soon as a head has arrived, `onRequest(request)` once
 * its body was read whole. `request` is `{ head, headers, socket }`.
 */
function readRequests(socket, { onHead, onRequest } = {}) {
  let pending = Buffer.alloc(0)
  let current = null
  socket.on('data', (chunk) => {
    pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk
    for (;;) {
      if (!current) {
        const end = pending.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = pending.subarray(0, end).toString('latin1')
        pending = pending.subarray(end + 4)
        const headers = headersOf(head)
        current = { head, headers, socket, remaining: Number(headers['content-length'] ?? 0) }
        onHead?.(current)
      }
      const take = Math.min(current.remaining, pending.length)
      current.remaining -= take
      pending = pending.subarray(take)
      if (current.remaining > 0) return
      const done = current
      current = null
      onRequest?.(done)
    }
  })
}

/** What Node's own `fs.openSync(filePath)` throws, as its message (never call it on a FIFO). */
function nodeOpenError(filePath) {
  try {
    fs.closeSync(fs.openSync(filePath, 'r'))
  } catch (error) {
    return error.message
  }
  throw new Error(`${filePath} opened: the scenario expected it not to`)
}

module.exports = { rawServer, afterHead, readRequests, nodeOpenError }
