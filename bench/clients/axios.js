'use strict'

// axios with a form-data stream (its docs' Node example). `axios.js` uses the defaults;
// `axios-nr.js` sets `maxRedirects: 0`, which skips follow-redirects and its request buffering.
const fs = require('node:fs')
const FormData = require('form-data')
const axios = require('axios')
const { run, FILE_FIELD } = require('./_runner')

function axiosUpload(extra) {
  return async ({ url, file, fields, signal, id }) => {
    const form = new FormData()
    for (const [k, v] of Object.entries(fields)) form.append(k, v)
    form.append(FILE_FIELD, fs.createReadStream(file))
    const res = await axios.post(url, form, {
      headers: id ? { 'x-bench-id': id } : {},
      signal,
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
      responseType: 'text',
      ...extra,
    })
    return res.data
  }
}

module.exports = { axiosUpload }
if (require.main === module) run('axios', axiosUpload({}))
