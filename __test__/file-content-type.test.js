'use strict'

// fileContentType (docs/API.md §2, §6): the Content-Type of the file part as the caller names it;
// absent or empty, guessed from fileName, then filePath, as before. What the recording server
// parsed is what is asserted.

const test = require('ava')
const { uploadFile } = require('../index.js')
const { useServer, useTempFile } = require('./helpers/setup.js')

const server = useServer(test)
const file = useTempFile(test, 32 * 1024, { name: 'photo.png' })

/** Uploads with `options` and returns what the server received. */
async function receive(t, options) {
  const endpoint = server.endpoint()
  const result = await uploadFile({ url: endpoint.url, filePath: file.path, name: 'file', ...options })
  t.is(result.statusCode, 200)
  const rec = await endpoint.received()
  t.is(rec.file.sha256, file.sha256, 'the file arrives byte-exact')
  return rec
}

test('fileContentType is the Content-Type of the file part, whatever the names say', async (t) => {
  const rec = await receive(t, { fileContentType: 'application/x-custom-thing', fileName: 'report.json' })
  t.is(rec.file.mimeType, 'application/x-custom-thing')
  t.is(rec.file.filename, 'report.json')
})

test('fileContentType absent, null or empty: guessed from fileName, then filePath', async (t) => {
  t.is((await receive(t, {})).file.mimeType, 'image/png', 'from filePath')
  t.is((await receive(t, { fileContentType: null, fileName: 'a.json' })).file.mimeType, 'application/json')
  t.is((await receive(t, { fileContentType: '', fileName: 'a.unknownext' })).file.mimeType, 'image/png')
})

test('a fileContentType with CR, LF or NUL fails before anything is sent', async (t) => {
  const endpoints = []
  for (const value of ['text/plain\r\nX-Injected: 1', 'text/plain\nX', 'a\0b']) {
    const endpoint = server.endpoint()
    endpoints.push(endpoint)
    const error = await t.throwsAsync(
      uploadFile({ url: endpoint.url, filePath: file.path, name: 'file', fileContentType: value }),
      { code: 'ERR_INVALID_ARG_VALUE' },
    )
    t.true(error.errMsg.includes('parameter.fileContentType'), error.errMsg)
  }
  await receive(t, {}) // a good upload to the same server completes after them
  for (const { id, records } of endpoints) t.deepEqual(records(), [], `request ${id} never arrived`)
})

test('a fileContentType that is not a string: ERR_INVALID_ARG_TYPE in WeChat’s wording', async (t) => {
  const error = await t.throwsAsync(
    uploadFile({ url: server.endpoint().url, filePath: file.path, name: 'file', fileContentType: 42 }),
    { code: 'ERR_INVALID_ARG_TYPE' },
  )
  t.is(error.errMsg, 'uploadFile:fail parameter error: parameter.fileContentType should be String instead of Number')
})
