'use strict'

// uploadFile under Jest, against a real server from upload-task/testing (docs/TESTING.md):
// `resolves` / `rejects` assertions, what the server received, and the realm of what the
// package hands over. Jest runs each test file in a `node:vm` context of its own, while the
// addon makes its values in the process's main context, so `instanceof Array` / `Object` /
// `Error` and `toStrictEqual` hold only because lib/upload-file.js copies them.

const { uploadFile, UploadError, isUploadError } = require('upload-task')
const { startServer, makeTempFile, closedPort } = require('upload-task/testing')

let server
let file

beforeAll(async () => {
  server = await startServer()
  file = await makeTempFile(3 * 1024 * 1024, { name: 'photo.png' })
})

afterAll(async () => {
  await server?.close()
  await file?.remove()
})

/** An endpoint answering 201 `created` with two cookies. */
function createdEndpoint() {
  return server.endpoint({
    status: 201,
    headers: [
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['X-Request-Id', '42'],
    ],
    body: 'created',
  })
}

test('an upload resolves with the answer; the server received the fields and the whole file', async () => {
  const endpoint = createdEndpoint()
  const task = uploadFile({ url: endpoint.url, filePath: file.path, name: 'photo', formData: { user: 'alice', n: 1 } })
  await expect(task).resolves.toMatchObject({
    errMsg: 'uploadFile:ok',
    statusCode: 201,
    data: 'created',
    header: { 'x-request-id': '42', 'set-cookie': ['a=1', 'b=2'] },
    cookies: ['a=1', 'b=2'],
  })
  const rec = await endpoint.received()
  expect(rec.fields).toEqual([
    ['user', 'alice'],
    ['n', '1'],
  ])
  expect(rec.file).toEqual({
    field: 'photo',
    filename: 'photo.png',
    mimeType: 'image/png',
    bytes: file.size,
    sha256: file.sha256,
  })
})

test('a 500 answer resolves too: every final HTTP response is a success', async () => {
  const endpoint = server.endpoint({ status: 500, body: 'boom' })
  await expect(uploadFile({ url: endpoint.url, filePath: file.path, name: 'file' })).resolves.toMatchObject({
    statusCode: 500,
    data: 'boom',
  })
})

test("the result, its header and cookies, and the events are objects of the test's realm", async () => {
  const endpoint = createdEndpoint()
  const progress = []
  const headers = []
  const task = uploadFile({ url: endpoint.url, filePath: file.path, name: 'photo' })
    .onProgressUpdate((event) => progress.push(event))
    .onHeadersReceived((event) => headers.push(event))
  const res = await task
  const rec = await endpoint.received()

  expect(task).toBeInstanceOf(Promise)
  expect(res).toBeInstanceOf(Object)
  expect(res.header).toBeInstanceOf(Object)
  expect(res.cookies).toBeInstanceOf(Array)
  expect(res.header['set-cookie']).toBeInstanceOf(Array)
  // toStrictEqual compares constructors too: an object of another realm would not match.
  expect(progress.at(-1)).toStrictEqual({
    progress: 100,
    totalBytesSent: rec.bytesReceived,
    totalBytesExpectedToSend: rec.bytesReceived,
  })
  for (const event of progress) expect(event).toBeInstanceOf(Object)
  expect(headers).toStrictEqual([{ header: res.header }])
  expect(headers[0].header['set-cookie']).toBeInstanceOf(Array)
})

test('a refused connection rejects with an UploadError of this realm: rejects.toMatchObject({ code })', async () => {
  const task = uploadFile({ url: `http://127.0.0.1:${await closedPort()}/`, filePath: file.path, name: 'file' })
  await expect(task).rejects.toMatchObject({ code: 'ECONNREFUSED', name: 'UploadError' })
  await expect(task).rejects.toThrow(/^uploadFile:fail /)
  await expect(task).rejects.toBeInstanceOf(Error)
  await expect(task).rejects.toBeInstanceOf(UploadError)
  expect(isUploadError(await task.catch((err) => err))).toBe(true)
})

test('a missing file and a bad argument reject with their codes; fail and complete get the error', async () => {
  const seen = []
  const missing = uploadFile({
    url: server.endpoint().url,
    filePath: `${file.dir}/missing.bin`,
    name: 'file',
    fail: (err) => seen.push(['fail', err instanceof Error]),
    complete: (err) => seen.push(['complete', err instanceof Error]),
  })
  await expect(missing).rejects.toMatchObject({ code: 'ENOENT' })
  expect(seen).toEqual([
    ['fail', true],
    ['complete', true],
  ])
  await expect(uploadFile({ filePath: file.path, name: 'file' })).rejects.toMatchObject({
    code: 'ERR_INVALID_ARG_TYPE',
    errMsg: 'uploadFile:fail parameter error: parameter.url should be String instead of Undefined',
  })
})

test('abort() while the server holds the request rejects with ABORT_ERR', async () => {
  const endpoint = server.endpoint({ respond: false })
  const task = uploadFile({ url: endpoint.url, filePath: file.path, name: 'file' })
  await endpoint.arrived
  task.abort()
  await expect(task).rejects.toMatchObject({ code: 'ABORT_ERR', name: 'AbortError' })
  await expect(task).rejects.toBeInstanceOf(Error)
  const rec = await endpoint.arrived
  await rec.socketClosed // the connection was closed by the abort
})
