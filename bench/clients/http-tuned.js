'use strict'

// A hand-tuned node:http client: the multipart framing written by hand, the file streamed with
// 1 MiB reads (highWaterMark 1 MiB), an exact Content-Length, and backpressure honoured.
const fs = require('node:fs')
const http = require('node:http')
const { once } = require('node:events')
const { run, FILE_FIELD } = require('./_runner')
const { multipart } = require('./_multipart')

run('node:http tuned', async ({ url, file, size, fields, signal, id }) => {
  const mp = multipart(fields, FILE_FIELD, file, size)
  const headers = { 'content-type': mp.contentType, 'content-length': mp.length, ...(id ? { 'x-bench-id': id } : {}) }
  const req = http.request(url, { method: 'POST', headers, signal })
  const response = new Promise((resolve, reject) => {
    req.on('error', reject)
    req.on('response', (res) => {
      const parts = []
      res.on('data', (b) => parts.push(b))
      res.on('end', () => resolve(Buffer.concat(parts).toString()))
      res.on('error', reject)
    })
  })
  response.catch(() => {}) // reported by the await below
  req.write(mp.preamble)
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 })
  try {
    for await (const chunk of stream) {
      if (!req.write(chunk)) await Promise.race([once(req, 'drain'), response])
    }
  } finally {
    stream.destroy()
  }
  req.end(mp.epilogue)
  return response
})
