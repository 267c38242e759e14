'use strict'

/** Hostile response bodies: one that never ends, and a compression bomb. */

const zlib = require('node:zlib')
const { deferred } = require('./wait.js')
const { readRequests } = require('./raw.js')

const MiB = 1024 * 1024
/** The default `maxResponseBytes` (README, options table). */
const DEFAULT_MAX_RESPONSE_BYTES = 64 * MiB

/** One chunk of 1 MiB in chunked transfer coding. */
const ENDLESS_CHUNK = Buffer.concat([
  Buffer.from(`${MiB.toString(16)}\r\n`),
  Buffer.alloc(MiB, 'a'),
  Buffer.from('\r\n'),
])

/**
 * For a raw server (helpers/raw.js): answers every request, once its body was read, with a
 * chunked 200 whose body never ends, written as fast as the client reads it. `state.written`
 * counts the body bytes written, `state.closed` resolves when a connection closes.
 */
function endlessResponder() {
  const closed = deferred()
  const state = { written: 0, closed: closed.promise }
  const onSocket = (socket) => {
    socket.on('close', () => closed.resolve())
    readRequests(socket, {
      onRequest: () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n')
        const pump = () => {
          while (!socket.destroyed) {
            state.written += MiB
            if (!socket.write(ENDLESS_CHUNK)) {
              socket.once('drain', pump)
              return
            }
          }
        }
        pump()
      },
    })
  }
  return { state, onSocket }
}

/** gzip of 200 MiB of zeros (a few hundred KiB), made once per process. */
let bomb
function gzipBomb() {
  bomb ??= new Promise((resolve, reject) => {
    const gzip = zlib.createGzip({ level: 9 })
    const parts = []
    gzip.on('data', (part) => parts.push(part))
    gzip.on('end', () => resolve(Buffer.concat(parts)))
    gzip.on('error', reject)
    const zeros = Buffer.alloc(MiB)
    let written = 0
    const write = () => {
      while (written < 200) {
        written++
        if (!gzip.write(zeros)) {
          gzip.once('drain', write)
          return
        }
      }
      gzip.end()
    }
    write()
  })
  return bomb
}

/**
 * A request handler (node:https, node:http2 compatibility API) that answers with the protocol
 * the request came on, the byte count of its body and its `Content-Length`, as JSON.
 */
function answerVersion(req, res) {
  let bytes = 0
  req.on('data', (chunk) => {
    bytes += chunk.length
  })
  req.on('end', () => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ version: req.httpVersion, bytes, length: Number(req.headers['content-length']) }))
  })
}

module.exports = { answerVersion, DEFAULT_MAX_RESPONSE_BYTES, endlessResponder, gzipBomb }
