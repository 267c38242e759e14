'use strict'

// undici.request with a spec FormData whose file is fs.openAsBlob (undici's docs). In the TLS
// scenarios it goes through one `new Agent({ allowH2, connect: { ca } })` for the whole process
// (allowH2 when BENCH_HTTP2=1); otherwise through undici's global dispatcher.
// `undici-1conn.js` adds `connections: 1` to that Agent (at most one connection per origin).
const fs = require('node:fs')
const path = require('node:path')
const { request, FormData, Agent } = require('undici')
const { run, FILE_FIELD, TLS } = require('./_runner')

/** The upload function, through an Agent with `agentOptions` added when there are any. */
function undiciUpload(agentOptions = {}) {
  const own = TLS.ca || TLS.http2 || Object.keys(agentOptions).length > 0
  const dispatcher = own ? new Agent({ allowH2: TLS.http2, connect: { ca: TLS.ca }, ...agentOptions }) : undefined
  return async ({ url, file, fields, signal, id }) => {
    const form = new FormData()
    for (const [k, v] of Object.entries(fields)) form.append(k, v)
    form.append(FILE_FIELD, await fs.openAsBlob(file), path.basename(file))
    const res = await request(url, {
      method: 'POST',
      body: form,
      headers: id ? { 'x-bench-id': id } : {},
      signal,
      dispatcher,
    })
    return res.body.text()
  }
}

module.exports = { undiciUpload }
if (require.main === module) run('undici.request', undiciUpload())
