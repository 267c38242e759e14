'use strict'

// Node's global fetch with a FormData whose file is fs.openAsBlob.
const fs = require('node:fs')
const path = require('node:path')
const { run, FILE_FIELD } = require('./_runner')

run('fetch (node)', async ({ url, file, fields, signal, id }) => {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  form.append(FILE_FIELD, await fs.openAsBlob(file), path.basename(file))
  const res = await fetch(url, { method: 'POST', body: form, headers: id ? { 'x-bench-id': id } : {}, signal })
  return res.text()
})
