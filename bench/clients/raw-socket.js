'use strict'

// The baseline: the same HTTP request bytes written to the sink by a plain net.Socket loop, no
// HTTP client. Large writes (1 MiB) from two reused buffers: while one is being written, the
// next is read from the file, so no fresh memory is touched per chunk. It shows how fast this
// machine moves a body into the sink.
const fs = require('node:fs')
const net = require('node:net')
const { once } = require('node:events')
const { run, FILE_FIELD } = require('./_runner')
const { multipart } = require('./_multipart')

const CHUNK = 1 << 20

run('raw socket', async ({ url, file, size, fields }) => {
  const { hostname, port, pathname } = new URL(url)
  const mp = multipart(fields, FILE_FIELD, file, size)
  const socket = net.connect({ host: hostname, port: Number(port) })
  await once(socket, 'connect')
  const received = []
  socket.on('data', (b) => received.push(b))
  const ended = once(socket, 'end')
  const head =
    `POST ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: ${mp.contentType}\r\n` +
    `Content-Length: ${mp.length}\r\nConnection: close\r\n\r\n`
  socket.write(Buffer.concat([Buffer.from(head), mp.preamble]))
  const write = (buf) => new Promise((resolve, reject) => socket.write(buf, (e) => (e ? reject(e) : resolve())))
  const fh = await fs.promises.open(file)
  const buffers = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)]
  const written = [null, null] // the write still using each buffer
  try {
    for (let pos = 0, i = 0; pos < size; i ^= 1) {
      await written[i]
      const { bytesRead } = await fh.read(buffers[i], 0, Math.min(CHUNK, size - pos), pos)
      if (bytesRead === 0) throw new Error('file shrank')
      pos += bytesRead
      written[i] = write(buffers[i].subarray(0, bytesRead))
    }
    await Promise.all(written)
  } finally {
    await fh.close()
  }
  socket.write(mp.epilogue)
  await ended
  const response = Buffer.concat(received).toString()
  return response.slice(response.indexOf('\r\n\r\n') + 4)
})
