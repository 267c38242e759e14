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
 * @param {{ auth?: { username: string, password: string } }} [options]  `auth`: the only
 *   credentials it accepts (then it wants username/password authentication)
 * @returns {Promise<{ port: number, url(scheme?: string, credentials?: string): string,
 *   records: SocksRecord[], logins: string[], close(): Promise<void> }>}
 */
async function startSocks({ auth } = {}) {
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
    return true
  })
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.setNoDelay()
    socks._handleConnection(socket)
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

module.exports = { startSocks }
