// Type tests of index.d.ts, checked by `tsc --noEmit` (npm run typecheck): code that must compile,
// and, behind `@ts-expect-error`, code that must not.

import {
  ErrorCode,
  type IAnyObject,
  isUploadError,
  type Protocol,
  type ResponseHeader,
  UploadError,
  type UploadErrorCode,
  type UploadTaskPromise,
  uploadFile,
} from 'upload-task'

async function typed(): Promise<void> {
  const task: UploadTaskPromise = uploadFile({
    url: 'http://127.0.0.1:1/up',
    filePath: '/tmp/a.bin',
    name: 'file',
    header: null,
    formData: { user: 'alice', n: 1 },
    timeout: null,
    idleTimeout: 30000,
    maxBytesPerSecond: 1024 * 1024,
    maxResponseBytes: null,
    ca: [Buffer.from('-----BEGIN CERTIFICATE-----'), '-----BEGIN CERTIFICATE-----'],
    fileName: 'a.bin',
    fileContentType: 'image/png',
    signal: AbortSignal.timeout(30000),
    enableHttp2: true,
    maxRedirects: 5,
    proxy: 'http://user:password@127.0.0.1:3128',
    retry: { limit: 3, backoff: 500, maxRetryAfter: null },
    enableProfile: true,
    success: (res) => res.statusCode.toFixed(),
    fail: (err) => err.code,
    complete: () => {},
  })
  task.onProgressUpdate(({ progress, totalBytesSent, totalBytesExpectedToSend }) => {
    const n: number = progress + totalBytesSent + totalBytesExpectedToSend
    return n
  })
  task.onHeadersReceived(({ header }) => {
    const type: string | string[] | undefined = header['content-type']
    const taro: IAnyObject = header // still what Taro's types expect
    void [type, taro]
  })
  task
    .progress(() => {})
    .headersReceive(() => {})
    .offProgressUpdate()
    .offHeadersReceived()
  task.abort()

  try {
    const res = await task
    const status: number = res.statusCode
    const data: string = res.data
    const cookies: string[] = res.cookies
    const attempts: number = res.attempts
    const reused: boolean | undefined = res.profile?.socketReused
    const peer: string | undefined = res.profile?.peerIP
    const received: number | undefined = res.profile?.receivedBytedCount
    const header: ResponseHeader = res.header
    const cookie: string | string[] | undefined = res.header['set-cookie']
    const asTaro: IAnyObject = res.header
    const protocol: Protocol | undefined = res.profile?.protocol
    if (protocol === 'h2' || protocol === 'h3' || protocol === 'http1.1' || protocol === 'http1.0') void protocol
    // @ts-expect-error not one of the four protocols
    if (res.profile?.protocol === 'quic') void 0
    // @ts-expect-error a header value is a string or an array of strings, not a number
    const n: number = res.header.age
    void [status, data, cookies, attempts, reused, peer, received, header, cookie, asTaro, n]
  } catch (err) {
    if (isUploadError(err)) {
      const code: UploadErrorCode = err.code
      const msg: string = err.errMsg
      const phase: 'connect' | 'send' | 'wait' | 'receive' | undefined = err.phase
      const sent: number = err.attempts
      if (err.code === ErrorCode.ABORT_ERR || err.code === 'ETIMEDOUT') void [code, msg, phase, sent]
    }
    if (err instanceof UploadError) void err.cause
  }
}
void typed

// @ts-expect-error `proxy: true` is not an option: a URL or false
uploadFile({ url: 'http://127.0.0.1:1/up', filePath: '/tmp/a.bin', name: 'file', proxy: true })
// @ts-expect-error `retry` is an object
uploadFile({ url: 'http://127.0.0.1:1/up', filePath: '/tmp/a.bin', name: 'file', retry: 3 })
// @ts-expect-error `fileContentType` is a string
uploadFile({ url: 'http://127.0.0.1:1/up', filePath: '/tmp/a.bin', name: 'file', fileContentType: 1 })

// @ts-expect-error url is required
uploadFile({ filePath: '/tmp/a', name: 'file' })
// @ts-expect-error timeout is a number
uploadFile({ url: 'http://x/', filePath: '/tmp/a', name: 'file', timeout: '10' })
uploadFile({ url: 'http://x/', filePath: '/tmp/a', name: 'file', signal: null })
// @ts-expect-error signal is an AbortSignal, not its controller
uploadFile({ url: 'http://x/', filePath: '/tmp/a', name: 'file', signal: new AbortController() })
// @ts-expect-error not an error code
const bad: UploadErrorCode = 'E_NOT_A_CODE'
void bad
// @ts-expect-error UploadError is not constructed by callers
new UploadError()
// @ts-expect-error idleTimeout is a number
uploadFile({ url: 'http://x/', filePath: '/tmp/a', name: 'file', idleTimeout: '1s' })
