'use strict'

/**
 * A real HTTP proxy on 127.0.0.1 for the proxy tests: `CONNECT host:port` opens a TCP tunnel
 * (for https: URLs), and an absolute-form request (`POST http://host:port/path`) is forwarded
 * (for http: URLs). With `auth` it wants `Proxy-Authorization: Basic <auth in base64>` and
 * answers 407 otherwise. It records what it was asked.
 */

const http = require('node:http')
const https = require('node:https')
const net = require('node:net')

/**
 * A `node:http` request handler that passes each request on to `target` (an endpoint of the
 * recording server, or anything with a `url`) and its answer back: the "healthy" half of the
 * scripted servers of the retry tests.
 * @param {{ url: string }} target
 */
function forwardTo(target) {
  return (req, res) => {
    const forward = http.request(target.url, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers)
      answer.pipe(res)
    })
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  }
}

/**
 * @typedef {object} ProxyRecord
 * @property {string} method   `CONNECT`, or the forwarded method
 * @property {string} target   `host:port` for CONNECT, the absolute URL otherwise
 * @property {string | undefined} authorization  the Proxy-Authorization header received
 */

/**
 * Starts the proxy: `http:`, or `https:` with `tls` (the client speaks TLS to the proxy itself).
 * @param {{ auth?: string, tls?: { key: string, cert: string } }} [options]  `auth`: the
 *   `user:password` the proxy insists on
 * @returns {Promise<{ url: string, port: number, records: ProxyRecord[], close(): Promise<void> }>}
 */
async function startProxy({ auth, tls } = {}) {
  const records = []
  const sockets = new Set()
  const expected = auth && `Basic ${Buffer.from(auth).toString('base64')}`
  const allowed = (req) => !expected || req.headers['proxy-authorization'] === expected

  const onRequest = (req, res) => {
    records.push({ method: req.method, target: req.url, authorization: req.headers['proxy-authorization'] })
    if (!allowed(req)) {
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="test"', 'Content-Length': '0' })
      res.end()
      req.resume()
      return
    }
    const target = new URL(req.url)
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const forward = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers)
        answer.pipe(res)
      },
    )
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  }
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest)
  server.on(tls ? 'secureConnection' : 'connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('connect', (req, client, head) => {
    records.push({ method: 'CONNECT', target: req.url, authorization: req.headers['proxy-authorization'] })
    if (!allowed(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n')
      return
    }
    const [host, port] = req.url.split(':')
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    records,
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** The proxy variables, all cleared by `withEnv` but those it is given. */
const VARIABLES = [
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'ALL_PROXY',
  'all_proxy',
  'NO_PROXY',
  'no_proxy',
]

/** Runs `fn` with exactly these proxy variables set, and restores the environment after. */
async function withEnv(vars, fn) {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]))
  for (const name of VARIABLES) delete process.env[name]
  Object.assign(process.env, vars)
  try {
    return await fn()
  } finally {
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name]
      else process.env[name] = saved[name]
    }
  }
}

module.exports = { withEnv, startProxy, forwardTo }
