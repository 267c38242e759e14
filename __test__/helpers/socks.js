'use strict'

/**
 * A real SOCKS5 proxy on 127.0.0.1 for the SOCKS tests (RFC 1928, with RFC 1929 username and
 * password when `auth` is given), from the `@pondwader/socks5-server` dev-dependency: it opens
 * the TCP connection it is asked for and relays both ways. It records every `CONNECT` it was
 * asked for (the host as the client sent it: an address, or a name for `socks5h`), and the
 * credentials it was offered.
 */

const net = require('node:net')
const { Socks5Server } = require('@pondwader/socks5-server')

/**
 * @typedef {object} SocksRecord
 * @property {string} host  the destination as the client sent it (IPv4/IPv6 address or name)
 * @property {number} port
 * @property {string | undefined} username  the username the client authenticated with
 */

/**
 * Starts the proxy.
 * @param {{ auth?: { username: string, password: string }, deny?: boolean, delay?: number }} [options]
 *   `auth`: the only credentials it accepts (then it wants username/password authentication);
 *   `deny`: it refuses every `CONNECT` (reply 2, not allowed by ruleset) after recording it;
 *   `delay`: ms it lets a new connection wait before it reads the client's greeting (a far proxy)
 * @returns {Promise<{ port: number, url(scheme?: string, credentials?: string): string,
 *   records: SocksRecord[], logins: string[], close(): Promise<void> }>}
 */
async function startSocks({ auth, deny = false, delay = 0 } = {}) {
  const records = []
  const logins = []
  const sockets = new Set()
  const socks = new Socks5Server()
  if (auth) {
    socks.setAuthHandler((conn) => {
      logins.push(conn.username)
      return conn.username === auth.username && conn.password === auth.password
    })
  }
  socks.setRulesetValidator((conn) => {
    records.push({ host: conn.destAddress, port: conn.destPort, username: conn.username })
    return !deny
  })
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.setNoDelay()
    if (delay > 0) setTimeout(() => socks._handleConnection(socket), delay)
    else socks._handleConnection(socket)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    port,
    records,
    logins,
    /** The proxy's URL with `scheme` (`socks5` unless given) and `credentials` (`user:pass`). */
    url: (scheme = 'socks5', credentials) => `${scheme}://${credentials ? `${credentials}@` : ''}127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/**
 * The destination of a complete SOCKS4 / SOCKS4a `CONNECT` request at the start of `buffer`
 * (version 4, command 1, port, IPv4 address, user id and NUL; for 4a, address 0.0.0.x and then
 * the host name and NUL), with the length of the request; `undefined` while incomplete.
 * @param {Buffer} buffer
 */
function socks4Request(buffer) {
  const userEnd = buffer.indexOf(0, 8)
  if (buffer.length < 8 || userEnd < 0) return undefined
  const port = buffer.readUInt16BE(2)
  const address = [...buffer.subarray(4, 8)].join('.')
  if (!address.startsWith('0.0.0.') || address === '0.0.0.0') return { host: address, port, length: userEnd + 1 }
  const nameEnd = buffer.indexOf(0, userEnd + 1)
  if (nameEnd < 0) return undefined
  return { host: buffer.subarray(userEnd + 1, nameEnd).toString(), port, length: nameEnd + 1 }
}

/**
 * Starts a minimal SOCKS4 / SOCKS4a proxy (no library has one): it grants every `CONNECT`
 * (reply 90) and relays both ways; any other request closes the connection.
 * @returns {Promise<{ port: number, records: { host: string, port: number }[], close(): Promise<void> }>}
 */
async function startSocks4() {
  const records = []
  const sockets = new Set()
  const server = net.createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => {})
    let buffer = Buffer.alloc(0)
    const onData = (chunk) => {
      buffer = Buffer.concat([buffer, chunk])
      if (buffer[0] !== 4 || (buffer.length > 1 && buffer[1] !== 1)) return client.destroy()
      const request = socks4Request(buffer)
      if (!request) return
      client.off('data', onData)
      client.pause()
      records.push({ host: request.host, port: request.port })
      const upstream = net.connect(request.port, request.host, () => {
        client.write(Buffer.from([0, 90, 0, 0, 0, 0, 0, 0]))
        upstream.write(buffer.subarray(request.length))
        client.pipe(upstream).pipe(client)
        client.resume()
      })
      upstream.on('error', () => client.destroy())
      client.on('close', () => upstream.destroy())
    }
    client.on('data', onData)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: server.address().port,
    records,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

module.exports = { startSocks, startSocks4 }
