'use strict'

// node:http with form-data, as form-data's README shows: headers from getHeaders(), the length
// from getLength(), then form.pipe(request).
const fs = require('node:fs')
const http = require('node:http')
const { promisify } = require('node:util')
const FormData = require('form-data')
const { run, FILE_FIELD } = require('./_runner')

run('node:http + form-data', async ({ url, file, fields, signal, id }) => {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  form.append(FILE_FIELD, fs.createReadStream(file))
  const length = await promisify(form.getLength.bind(form))()
  const headers = { ...form.getHeaders(), 'content-length': length, ...(id ? { 'x-bench-id': id } : {}) }
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, signal }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (s) => (body += s))
      res.on('end', () => resolve(body))
      res.on('error', reject)
    })
    req.on('error', reject)
    form.pipe(req)
  })
})
