'use strict'

// jest.resetModules() and jest.isolateModules(): the package required again in the same test
// file (docs/TESTING.md). Jest evaluates its JavaScript again, but loads `.node` files with
// Node's own `require`, which caches them per process: the addon is the same, and both copies
// of the JavaScript upload through it. Each copy has its own UploadError class.

const { startServer, makeTempFile } = require('upload-task/testing')

let server
let file

beforeAll(async () => {
  server = await startServer()
  file = await makeTempFile(1024 * 1024, { name: 'a.txt' })
})

afterAll(async () => {
  await server?.close()
  await file?.remove()
})

/** Uploads the file with `pkg` and resolves with the result; checks what arrived. */
async function upload(pkg) {
  const endpoint = server.endpoint({ headers: { 'Set-Cookie': 'k=v' } })
  const res = await pkg.uploadFile({ url: endpoint.url, filePath: file.path, name: 'file' })
  expect((await endpoint.received()).file.sha256).toBe(file.sha256)
  return res
}

test('after jest.resetModules(), a fresh copy of the package uploads, and so does the first one', async () => {
  const first = require('upload-task')
  await expect(upload(first)).resolves.toMatchObject({ statusCode: 200, cookies: ['k=v'] })

  jest.resetModules()
  const second = require('upload-task')
  expect(second.uploadFile).not.toBe(first.uploadFile) // the JavaScript was evaluated again
  expect(second.UploadTask).toBe(first.UploadTask) // the addon was not loaded again

  const [a, b] = await Promise.all([upload(first), upload(second)])
  expect(a).toMatchObject({ statusCode: 200 })
  expect(b).toMatchObject({ statusCode: 200 })
  expect(b.cookies).toBeInstanceOf(Array)

  const failed = second.uploadFile({ url: 'ftp://127.0.0.1/', filePath: file.path, name: 'file' })
  await expect(failed).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', name: 'UploadError' })
  await expect(failed).rejects.toBeInstanceOf(second.UploadError)
  await expect(failed).rejects.not.toBeInstanceOf(first.UploadError) // another copy's class
  await expect(failed).rejects.toBeInstanceOf(Error)
})

test('jest.isolateModules() gives a copy of its own that uploads', async () => {
  let isolated
  jest.isolateModules(() => {
    isolated = require('upload-task')
  })
  expect(isolated.uploadFile).not.toBe(require('upload-task').uploadFile)
  await expect(upload(isolated)).resolves.toMatchObject({ statusCode: 200 })
})
