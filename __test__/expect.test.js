'use strict'

// A caller's own Expect header (docs/API.md §2.6): sent as given, with the body at once (no
// wait of upload-task's own), and the upload works with a server that answers `100 Continue`.
// upload-task's own Expect for large bodies: __test__/continue.test.js.

const http = require('node:http')
const test = require('ava')
const { uploadFile } = require('../index.js')
const { within } = require('../testing')
const { useTempFile } = require('./helpers/setup.js')

const file = useTempFile(test, 256 * 1024, { name: 'expect.bin' })

test("a caller's Expect: 100-continue is sent; the server's 100 Continue is skipped and the upload succeeds", async (t) => {
  const seen = []
  const server = http.createServer()
  server.on('checkContinue', (req, res) => {
    seen.push(req.headers.expect)
    res.writeContinue()
    let bytes = 0
    req.on('data', (chunk) => {
      bytes += chunk.length
    })
    req.on('end', () => res.end(String(bytes)))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const res = await within(
    uploadFile({
      url: `http://127.0.0.1:${server.address().port}/up`,
      filePath: file.path,
      name: 'file',
      header: { Expect: '100-continue' },
    }),
    10000,
    'the upload',
  )
  t.deepEqual(seen, ['100-continue'])
  t.is(res.statusCode, 200)
  t.true(Number(res.data) > file.size, 'the whole multipart body arrived')
})
