'use strict'

/**
 * A real HTTP(S) server on 127.0.0.1 that records what it actually received, and answers as
 * each endpoint was told to (see behaviours.js).
 *
 * Every endpoint has a URL of its own, `<origin>/<id>` (a path or a query may be appended), so
 * tests that run concurrently against one server never read each other's records. A request
 * to any other path gets the default behaviour, with `id` null.
 */

const http = require('node:http')
const https = require('node:https')
// Node's own timers, not the global ones: the answers keep real time under fake timers (Jest).
const { setTimeout, clearTimeout } = require('node:timers')
const { behaviour, answer } = require('./behaviours.js')
const { createRecord, readBody } = require('./record.js')
const { createCertificates } = require('./tls.js')
const { deferred } = require('./wait.js')

let nextId = 1

/**
 * A server listening on 127.0.0.1, and the way to stop it.
 * @typedef {object} Listening
 * @property {number} port
 * @property {() => Promise<void>} close  stops the server and destroys every connection it
 *   accepted, idle or not, then resolves once the server closed
 */

/**
 * Starts `server` (any `node:net` server: from node:http, node:https, node:http2, node:tls or
 * node:net) on 127.0.0.1, port 0. Its `close()` does not wait for the client: Node's own
 * `server.close()` waits for every open connection, and a client keeps its idle ones in a pool
 * (upload-task's for up to 4 s). Node 24 and later close an HTTP/2 server's idle sessions at
 * `close()`; Node 20 and 22 wait for them, so without this a test of `enableHttp2` took minutes
 * to end there.
 * @param {import('node:net').Server} server  not yet listening
 * @returns {Promise<Listening>}
 */
async function listen(server) {
  const sockets = new Set()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return {
    port: server.address().port,
    async close() {
      const closed = new Promise((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}

/**
 * An address to send requests to, with the behaviour it was given.
 * @typedef {object} Endpoint
 * @property {string} id
 * @property {string} url  `<origin>/<id>`
 * @property {Promise<import('./record.js').RequestRecord>} arrived  the first request's record,
 *   as soon as its headers arrived
 * @property {() => Promise<import('./record.js').RequestRecord>} received  the same record once
 *   its body was parsed or its connection closed early (its `finished`)
 * @property {() => import('./record.js').RequestRecord[]} records  every request so far
 */

/**
 * @typedef {object} TestServer
 * @property {number} port
 * @property {string} origin  `http://127.0.0.1:<port>` (`https://` with `tls`)
 * @property {string|undefined} ca  with `tls`: PEM of the CA that signed the server certificate
 * @property {import('./record.js').RequestRecord[]} records  every request, in arrival order
 * @property {number} connections  connections accepted so far
 * @property {(options?: import('./behaviours.js').Behaviour) => Endpoint} endpoint
 * @property {() => void} closeIdleConnections  closes keep-alive connections that carry no request
 * @property {() => Promise<void>} close  stops the server and closes every connection
 */

/**
 * Starts a recording server on 127.0.0.1, port 0.
 * @param {{ tls?: boolean, keepAliveTimeout?: number }} [options]  `tls`: HTTPS with a
 *   certificate for 127.0.0.1 and localhost signed by a generated CA (see tls.js)
 * @returns {Promise<TestServer>}
 */
async function startServer({ tls = false, keepAliveTimeout = 60000 } = {}) {
  const certificates = tls ? await createCertificates() : undefined
  const endpoints = new Map() // id -> { behaviour, first: deferred }
  const records = []
  const timers = new Set()
  const numbers = new WeakMap() // socket -> { number, closed }
  let connections = 0

  const later = (ms, fn) => {
    if (!(ms > 0)) return fn()
    const timer = setTimeout(() => {
      timers.delete(timer)
      fn()
    }, ms)
    timers.add(timer)
  }

  const onRequest = (req, res) => {
    const id = req.url.split(/[/?#]/)[1]
    const endpoint = endpoints.get(id)
    const b = endpoint ? endpoint.behaviour : behaviour()
    const socket = numbers.get(req.socket)
    const recording = createRecord(req, {
      id: endpoint ? id : null,
      connection: socket.number,
      socketClosed: socket.closed,
      readDelayMs: b.readDelayMs,
    })
    const { rec, released } = recording
    records.push(rec)
    if (endpoint) endpoint.first.resolve(rec)
    if (b.reset) {
      req.socket.destroy() // drops the connection without a response
      return
    }
    readBody(req, recording)
      .then(() => answer(res, rec, b, { released, later }))
      .catch((error) => res.destroy(error))
  }

  const server = tls
    ? https.createServer({ key: certificates.key, cert: certificates.cert }, onRequest)
    : http.createServer(onRequest)
  server.keepAliveTimeout = keepAliveTimeout
  server.on(tls ? 'secureConnection' : 'connection', (socket) => {
    const closed = new Promise((resolve) => socket.on('close', resolve))
    numbers.set(socket, { number: ++connections, closed })
  })

  const { port, close } = await listen(server)
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`

  return {
    port,
    origin,
    ca: certificates?.ca,
    records,
    get connections() {
      return connections
    },
    endpoint(options) {
      const id = `ep${nextId++}`
      const first = deferred()
      endpoints.set(id, { behaviour: behaviour(options), first })
      return {
        id,
        url: `${origin}/${id}`,
        arrived: first.promise,
        received: () => first.promise.then((rec) => rec.finished),
        records: () => records.filter((rec) => rec.id === id),
      }
    },
    closeIdleConnections() {
      server.closeIdleConnections()
    },
    async close() {
      for (const timer of timers) clearTimeout(timer)
      await close()
    },
  }
}

/**
 * A port on 127.0.0.1 where nothing listens (bound, then closed): a target for refused
 * connections.
 * @returns {Promise<number>}
 */
async function closedPort() {
  const probe = http.createServer()
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  return port
}

module.exports = { startServer, listen, closedPort }
