'use strict'

// What reaches the wire (docs/API.md §6): file name and Content-Type of the file part, formData
// conversion and order, escaping of names, UTF-8, the caller's headers and the upload's own.
// Every assertion is on what the recording server actually parsed.

const test = require('ava')
const { uploadFile } = require('../index.js')
const { makeTempFile } = require('../testing')
const { useServer } = require('./helpers/setup.js')
const { version } = require('../package.json')

const server = useServer(test)
const files = []

/** A small temp file named `name` (64 KiB of random bytes), removed after the run. */
async function smallFile(name, size = 64 * 1024) {
  const file = await makeTempFile(size, { name })
  files.push(file)
  return file
}

test.after.always(async () => {
  await Promise.all(files.map((f) => f.remove()))
})

/** Uploads and returns the record of what the server received, checking it arrived intact. */
async function uploadAndReceive(t, file, options) {
  const endpoint = server.endpoint()
  const result = await uploadFile({ url: endpoint.url, filePath: file.path, name: 'file', ...options })
  t.is(result.statusCode, 200)
  const rec = await endpoint.received()
  t.is(rec.parseError, undefined)
  t.true(rec.completed)
  t.is(rec.files.length, 1, 'exactly one file part')
  t.is(rec.file.sha256, file.sha256, 'file content arrives byte-exact')
  return rec
}

test('filename defaults to the basename of filePath, Content-Type guessed from it', async (t) => {
  const file = await smallFile('holiday photo.png')
  const rec = await uploadAndReceive(t, file, {})
  t.is(rec.file.field, 'file')
  t.is(rec.file.filename, 'holiday photo.png')
  t.is(rec.file.mimeType, 'image/png')
})

test('fileName option names the file part and decides its Content-Type', async (t) => {
  const file = await smallFile('data.bin')
  const rec = await uploadAndReceive(t, file, { fileName: 'report.json', name: 'attachment' })
  t.is(rec.file.field, 'attachment')
  t.is(rec.file.filename, 'report.json')
  t.is(rec.file.mimeType, 'application/json')
})

test('an unknown extension is sent as application/octet-stream', async (t) => {
  const file = await smallFile('blob.qqqzzz')
  const rec = await uploadAndReceive(t, file, {})
  t.is(rec.file.filename, 'blob.qqqzzz')
  t.is(rec.file.mimeType, 'application/octet-stream')
})

test('an empty file is sent as an empty file part', async (t) => {
  const file = await smallFile('empty.txt', 0)
  const rec = await uploadAndReceive(t, file, {})
  t.is(rec.file.bytes, 0)
  t.is(rec.file.mimeType, 'text/plain')
  t.is(rec.headers['content-length'], String(rec.bytesReceived))
})

test('formData: strings, numbers, booleans, bigints, objects and arrays in insertion order; null/undefined skipped', async (t) => {
  const file = await smallFile('form.txt')
  const rec = await uploadAndReceive(t, file, {
    formData: {
      str: 'hello',
      num: 42,
      float: -1.5,
      yes: true,
      no: false,
      nothing: null,
      obj: { a: 1, b: [2, 'three'] },
      missing: undefined,
      arr: [1, 'x', null],
      big: 12345678901234567890n,
      empty: '',
      multiline: 'line 1\r\nline 2\n',
    },
  })
  t.deepEqual(rec.fields, [
    ['str', 'hello'],
    ['num', '42'],
    ['float', '-1.5'],
    ['yes', 'true'],
    ['no', 'false'],
    ['obj', '{"a":1,"b":[2,"three"]}'],
    ['arr', '[1,"x",null]'],
    ['big', '12345678901234567890'],
    ['empty', ''],
    ['multiline', 'line 1\r\nline 2\n'],
  ])
})

test('quotes, CR and LF in field names and file names are escaped and cannot forge a part', async (t) => {
  const file = await smallFile('upload.bin')
  const rec = await uploadAndReceive(t, file, {
    name: 'up"load\r\n',
    fileName: 'x.txt"\r\nContent-Type: text/html\r\n\r\n<forged>',
    formData: {
      'q"uote': '1',
      'evil"; filename="forged.txt': '2',
      'a\r\nContent-Type: text/html': '3',
      'lf\nonly\r': '4',
    },
  })
  t.deepEqual(rec.fields, [
    ['q%22uote', '1'],
    ['evil%22; filename=%22forged.txt', '2'],
    ['a%0D%0AContent-Type: text/html', '3'],
    ['lf%0Aonly%0D', '4'],
  ])
  t.is(rec.file.field, 'up%22load%0D%0A')
  t.is(rec.file.filename, 'x.txt%22%0D%0AContent-Type: text/html%0D%0A%0D%0A<forged>')
  t.is(rec.file.mimeType, 'application/octet-stream', 'the forged Content-Type is not the part header')
})

test('non-ASCII field names, values and file names arrive as UTF-8', async (t) => {
  const file = await smallFile('plain.bin')
  const rec = await uploadAndReceive(t, file, {
    name: 'fichier-ü',
    fileName: 'résumé 履歴書 😀.txt',
    formData: { 名前: '値 ✓', clé: 'éà' },
  })
  t.deepEqual(rec.fields, [
    ['名前', '値 ✓'],
    ['clé', 'éà'],
  ])
  t.is(rec.file.field, 'fichier-ü')
  t.is(rec.file.filename, 'résumé 履歴書 😀.txt')
  t.is(rec.file.mimeType, 'text/plain')
})

test('the request is a POST with an exact Content-Length, never chunked', async (t) => {
  const file = await smallFile('exact.bin', 300 * 1024 + 7)
  const rec = await uploadAndReceive(t, file, { formData: { a: 'b' } })
  t.is(rec.method, 'POST')
  t.is(rec.headers['transfer-encoding'], undefined)
  t.is(rec.headers['content-length'], String(rec.bytesReceived))
  t.regex(rec.headers['content-type'], /^multipart\/form-data; boundary=\S+$/)
})

test('each request gets a fresh boundary', async (t) => {
  const file = await smallFile('twice.bin', 1024)
  const a = await uploadAndReceive(t, file, {})
  const b = await uploadAndReceive(t, file, {})
  t.not(a.headers['content-type'], b.headers['content-type'])
})

test('custom headers arrive; Content-Type, Content-Length, Host and Transfer-Encoding stay the upload’s own', async (t) => {
  const file = await smallFile('headers.bin')
  const rec = await uploadAndReceive(t, file, {
    header: {
      'X-Custom': 'hello world',
      'X-Number': 42,
      'X-Skipped': null,
      'Content-Type': 'text/plain',
      'content-length': '5',
      HOST: 'evil.example',
      'Transfer-Encoding': 'chunked',
    },
  })
  t.is(rec.headers['x-custom'], 'hello world')
  t.is(rec.headers['x-number'], '42')
  t.false('x-skipped' in rec.headers)
  t.regex(rec.headers['content-type'], /^multipart\/form-data; boundary=/)
  t.is(rec.headers['content-length'], String(rec.bytesReceived))
  t.is(rec.headers.host, `127.0.0.1:${server.port}`)
  t.is(rec.headers['transfer-encoding'], undefined)
  const count = (name) => rec.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === name).length
  t.is(count('content-type'), 1)
  t.is(count('content-length'), 1)
  t.is(count('host'), 1)
})

test('the default User-Agent is upload-task/<package.json version>', async (t) => {
  const file = await smallFile('ua.bin', 1024)
  const rec = await uploadAndReceive(t, file, {})
  t.is(rec.headers['user-agent'], `upload-task/${version}`)
})

test('a caller’s User-Agent replaces the default', async (t) => {
  const file = await smallFile('ua2.bin', 1024)
  const rec = await uploadAndReceive(t, file, { header: { 'user-agent': 'my-app/9.9' } })
  t.is(rec.headers['user-agent'], 'my-app/9.9')
  const agents = rec.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'user-agent')
  t.is(agents.length, 1)
})

test('unknown and not-yet-implemented options are ignored', async (t) => {
  const file = await smallFile('ignored.bin', 1024)
  const rec = await uploadAndReceive(t, file, {
    withCredentials: true,
    enableHttp2: true,
    enableQuic: true,
    enableProfile: true,
    somethingElse: 1,
  })
  t.is(rec.file.filename, 'ignored.bin')
})
