'use strict'

// undici.request with a spec FormData whose file is fs.openAsBlob (undici's docs).
const fs = require('node:fs')
const path = require('node:path')
const { request, FormData } = require('undici')
const { run, FILE_FIELD } = require('./_runner')

run('undici.request', async ({ url, file, fields, signal, id }) => {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  form.append(FILE_FIELD, await fs.openAsBlob(file), path.basename(file))
  const res = await request(url, { method: 'POST', body: form, headers: id ? { 'x-bench-id': id } : {}, signal })
  return res.body.text()
})
