'use strict'

// Node's own https (`node:https`) with a hand-built multipart body (the framing of `_multipart`,
// the file read whole: this runner is for the small uploads of the cold-start scenario). Over
// HTTPS the sink's CA (BENCH_CA) is its `ca`; Node loads its own roots only when no `ca` is given.
const fs = require('node:fs')
const https = require('node:https')
const { run, FILE_FIELD } = require('./_runner')
const { multipart } = require('./_multipart')

run('node:https', async ({ url, file, size, fields, signal, ca }) => {
  const mp = multipart(fields, FILE_FIELD, file, size)
  const body = Buffer.concat([mp.preamble, await fs.promises.readFile(file), mp.epilogue])
  const headers = { 'content-type': mp.contentType, 'content-length': body.length }
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', headers, signal, ...(ca ? { ca } : {}) }, (res) => {
      const parts = []
      res.on('data', (b) => parts.push(b))
      res.on('end', () => resolve(Buffer.concat(parts).toString()))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
})
