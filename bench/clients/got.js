'use strict'

// got 14 with a form-data stream, as got's docs show: got computes Content-Length with
// form-data's getLength() and pipes the stream. Over HTTPS the sink's CA goes in
// `https.certificateAuthority`.
const fs = require('node:fs')
const FormData = require('form-data')
const { run, FILE_FIELD } = require('./_runner')

const gotReady = import('got').then((m) => m.default)

run('got', async ({ url, file, fields, signal, id, ca }) => {
  const got = await gotReady
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  form.append(FILE_FIELD, fs.createReadStream(file))
  return got
    .post(url, {
      body: form,
      headers: id ? { 'x-bench-id': id } : {},
      signal,
      retry: { limit: 0 },
      ...(ca ? { https: { certificateAuthority: ca } } : {}),
    })
    .text()
})
