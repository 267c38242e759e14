'use strict'

// The demo: starts a multipart-parsing server on 127.0.0.1, makes a file, and uploads it with
// upload-task, printing progress, the response headers and the result.
//   node example/demo.js [size-in-MiB=256]

const crypto = require('node:crypto')
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')
const busboy = require('busboy')
const { uploadFile } = require('..')

const sizeMiB = Number(process.argv[2] || 256)

/** A server that parses the multipart body and answers with what it received. */
function startServer() {
  const server = http.createServer((req, res) => {
    const received = { fields: {}, file: null }
    const parser = busboy({ headers: req.headers })
    parser.on('field', (name, value) => (received.fields[name] = value))
    parser.on('file', (name, stream, info) => {
      const hash = crypto.createHash('sha256')
      let bytes = 0
      stream.on('data', (chunk) => {
        bytes += chunk.length
        hash.update(chunk)
      })
      stream.on('end', () => (received.file = { name, ...info, bytes, sha256: hash.digest('hex') }))
    })
    parser.on('close', () => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(received))
    })
    req.pipe(parser)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** Writes `mib` MiB of random bytes and returns the path and SHA-256. */
function makeFile(mib) {
  const file = path.join(os.tmpdir(), `upload-task-demo-${process.pid}.bin`)
  const block = crypto.randomBytes(1 << 20)
  const hash = crypto.createHash('sha256')
  const fd = fs.openSync(file, 'w')
  for (let i = 0; i < mib; i++) {
    fs.writeSync(fd, block)
    hash.update(block)
  }
  fs.closeSync(fd)
  return { file, sha256: hash.digest('hex') }
}

async function main() {
  const server = await startServer()
  const { file, sha256 } = makeFile(sizeMiB)
  const url = `http://127.0.0.1:${server.address().port}/upload`
  console.log(`uploading ${sizeMiB} MiB to ${url}`)
  const started = process.hrtime.bigint()
  try {
    const result = await uploadFile({ url, filePath: file, name: 'file', formData: { user: 'demo' } })
      .onProgressUpdate(({ progress, totalBytesSent, totalBytesExpectedToSend }) =>
        console.log(`progress ${String(progress).padStart(3)}%  ${totalBytesSent} / ${totalBytesExpectedToSend} bytes`),
      )
      .onHeadersReceived(({ header }) => console.log('headers', header))
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const body = JSON.parse(result.data)
    console.log(result.errMsg, result.statusCode, body)
    console.log(
      `${(sizeMiB / seconds).toFixed(0)} MiB/s; server's SHA-256 ${body.file.sha256 === sha256 ? 'matches' : 'DIFFERS FROM'} the file's`,
    )
    if (body.file.sha256 !== sha256) process.exitCode = 1
  } finally {
    fs.rmSync(file, { force: true })
    server.close()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
