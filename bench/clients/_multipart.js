'use strict'

// The bytes around the file in a multipart/form-data body, for the clients that write the body
// themselves (the tuned node:http client and the raw socket). Same layout as browsers send.
const crypto = require('node:crypto')
const path = require('node:path')

function multipart(fields, fileField, file, fileSize) {
  const boundary = `----bench${crypto.randomBytes(12).toString('hex')}`
  let head = ''
  for (const [k, v] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="${path.basename(file)}"\r\n`
  head += 'Content-Type: application/octet-stream\r\n\r\n'
  const preamble = Buffer.from(head)
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`)
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    preamble,
    epilogue,
    length: preamble.length + fileSize + epilogue.length,
  }
}

module.exports = { multipart }
