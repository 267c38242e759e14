/**
 * upload-task: Taro's `uploadFile` / `UploadTask` for Node.js and Electron main.
 * Compatible with Taro's `uploadFile.Option`, `uploadFile.SuccessCallbackResult`,
 * `UploadTask` and `UploadTaskPromise`.
 */
import {
  UploadTask as NativeUploadTask,
  ErrorCode,
  type Phase,
  type RequestProfile as NativeRequestProfile,
} from './binding'

export { ErrorCode } from './binding'
export type {
  ProgressEvent,
  HeadersEvent,
  UploadRequest,
  UploadOutcome,
  NameValue,
  RetryRequest,
} from './binding'

/**
 * Response headers as Node's `IncomingMessage.headers` shapes them: lower-case names, a repeated
 * header joined with `', '`, `set-cookie` always an array (docs/API.md §5). Assignable to
 * Taro's `IAnyObject`.
 */
export type ResponseHeader = Record<string, string | string[]>

/** The HTTP version of a request, as WeChat's `RequestProfile.protocol` names it. */
export type Protocol = 'http1.1' | 'h2' | 'h3' | 'http1.0'

/** The timings of the request that produced a result (`enableProfile`; docs/API.md §2.4). */
export interface RequestProfile extends Omit<NativeRequestProfile, 'protocol'> {
  /** `http1.1`, `h2`, `h3` or `http1.0`. */
  protocol: Protocol
}

/** Any plain object, as Taro's `TaroGeneral.IAnyObject`. */
export interface IAnyObject {
  // biome-ignore lint/suspicious/noExplicitAny: Taro types it this way
  [key: string]: any
}

/**
 * The `code` of a failed upload: one of the values of `ErrorCode` (owned by the native enum;
 * README, "Errors").
 */
export type UploadErrorCode = `${ErrorCode}`

/**
 * What a failed upload rejects with, and what `fail` / `complete` receive: an `Error` whose
 * `message` equals `errMsg` (`uploadFile:fail <reason>`), with a stable `code`.
 */
export declare class UploadError extends Error {
  private constructor()
  /** `uploadFile:fail <reason>`; equal to `message`. */
  readonly errMsg: string
  /** A stable code. */
  readonly code: UploadErrorCode
  /** `'UploadError'`, or `'AbortError'` for an abort. */
  name: string
  /** The underlying error, when there is one. */
  cause?: unknown
  /**
   * How many times the upload was sent before it failed: `0` when it never was (a parameter or
   * file error). See docs/API.md §2.3.
   */
  readonly attempts: number
  /**
   * For `ETIMEDOUT` (the `timeout` deadline, the `idleTimeout` or the `connectTimeout`): where the upload was when
   * time ran out: `connect`, `send` (the server stopped taking the body), `wait` (body sent, no
   * response yet) or `receive`.
   */
  phase?: `${Phase}`
}

/** Whether `value` is an `UploadError`. */
export declare function isUploadError(value: unknown): value is UploadError

export declare namespace uploadFile {
  interface Option {
    // BEGIN GENERATED options (scripts/options.js --write, from src/options/record.rs)
    /**
     * `http:` or `https:` URL to POST to (a user name and password in it are sent as Basic auth);
     * anything else is a parameter error. Required. See docs/API.md §6.
     */
    url: string
    /** Path of a regular file (relative paths resolve against `process.cwd()`). Required. */
    filePath: string
    /** Multipart field name of the file part; not empty. Required. */
    name: string
    /**
     * `filename` of the file part. Default: basename of `filePath` (`file` if empty). See
     * docs/API.md §6.
     */
    fileName?: string | null
    /**
     * `Content-Type` of the file part, such as `image/jpeg`. Default: guessed from the extension of
     * `fileName`, else of `filePath` (`application/octet-stream` when neither is known). See
     * docs/API.md §6.
     */
    fileContentType?: string | null
    /**
     * Request headers, values through `String()`; `Content-Type`, `Content-Length`,
     * `Transfer-Encoding` and `Host` are always the upload's own. Default: `{}`. See docs/API.md
     * §6.
     */
    header?: IAnyObject | null
    /**
     * Text parts sent before the file, in insertion order; objects and arrays as JSON. Default:
     * `{}`. See docs/API.md §6.
     */
    formData?: IAnyObject | null
    /**
     * Deadline for the whole upload, from the call to settlement. `0`, `null` or absent: the
     * default. `Infinity`, or anything over 100 years: no deadline. Negative, `NaN` or a
     * non-number: parameter error. Default: `60000` ms.
     */
    timeout?: number | null
    /**
     * Fail when no byte moves for this long, in either direction (a stalled server or network); an
     * upload that keeps moving never hits it. `0`, `null`, absent, `Infinity` or anything over 100
     * years: none. Default: none.
     */
    idleTimeout?: number | null
    /**
     * Fail with `ETIMEDOUT` (`phase: 'connect'`) when setting up a new connection (name lookup,
     * TCP, proxy, TLS) takes longer; waiting for `100 Continue` or for QUIC is not connecting. `0`,
     * `null`, absent, `Infinity` or anything over 100 years: none. Default: none.
     */
    connectTimeout?: number | null
    /**
     * Pace the body to at most this many bytes per second (as curl's `--limit-rate`), in frames of
     * 50 ms of the rate so that progress keeps flowing. `0`, `null`, absent or `Infinity`: full
     * speed; below 1 byte per second: parameter error. Default: none. See docs/API.md §6.
     */
    maxBytesPerSecond?: number | null
    /**
     * The largest response body kept (decoded size); past it, or when `Content-Length` announces
     * more, the connection is closed and the upload fails with `ERR_RESPONSE_TOO_LARGE`. `null` or
     * absent: the default. `Infinity`: as much as a JavaScript string holds (2^29 − 24 bytes).
     * Default: `67108864` (64 MiB). See docs/API.md §3.
     */
    maxResponseBytes?: number | null
    /**
     * Redirects followed as browsers follow them: 301/302/303 become a `GET` without body, 307/308
     * send the file again, re-read from disk (progress starts again from 0); `Authorization`,
     * `Cookie`, `Cookie2`, `Proxy-Authorization` and `WWW-Authenticate` stay with their origin;
     * `https:` → `http:` is refused. `0`: the 3xx is the result. Default: `10`. See docs/API.md
     * §2.1.
     */
    maxRedirects?: number | null
    /**
     * Send the upload again, re-opening the file, when the server did not process it (connection
     * refused or not set up within `connectTimeout`, or reset before the whole request was written;
     * after that only with an `Idempotency-Key` header) or answered 429/503. Default: none. See
     * docs/API.md §2.3.
     */
    retry?: {
      /** How many times the upload may be sent again. Default: `2`. See docs/API.md §2.3. */
      limit?: number | null
      /**
       * The wait before the first repeat, doubled for each next one. Default: `1000` ms. See
       * docs/API.md §2.3.
       */
      backoff?: number | null
      /**
       * The longest `Retry-After` (delay-seconds or an HTTP date) of a 429/503 honoured; a longer
       * one makes that response the result. Default: `60000` ms. See docs/API.md §2.3.
       */
      maxRetryAfter?: number | null
    } | null
    /**
     * A proxy URL (`http://user:password@host:port`, or SOCKS: `socks5h://user:password@host:port`)
     * for this upload; `false`: none. Absent: the proxy variables of `process.env` (HTTPS_PROXY,
     * HTTP_PROXY, ALL_PROXY and NO_PROXY, or lower case), read when each upload starts. Default:
     * the environment's. See docs/API.md §2.2.
     */
    proxy?: string | false | null
    /**
     * Extra trusted root certificates (PEM) for this upload, added to the system's roots, as Node's
     * `ca` adds to its own; for a private CA, or a server's self-signed certificate (the `openssl
     * req -x509` kind, marked CA:TRUE), trusted as Node trusts it: host name and validity dates
     * still checked. Not PEM: `ERR_INVALID_ARG_VALUE`. Default: none.
     */
    ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array> | null
    /**
     * `true`: offer HTTP/2 by ALPN over `https:`; a server that only speaks HTTP/1.1 gets HTTP/1.1,
     * and `http:` stays HTTP/1.1. Not a boolean: `ERR_INVALID_ARG_TYPE`. Default: `false`.
     */
    enableHttp2?: boolean | null
    /**
     * `true`: the result gets `profile`, the timings of the request that produced it, with WeChat's
     * `RequestProfile` names. Default: `false`. See docs/API.md §2.4.
     */
    enableProfile?: boolean | null
    /**
     * `false`: send large HTTP/1.1 bodies at once, without `Expect: 100-continue` and its short
     * wait (at most 1 s). Not a boolean: `ERR_INVALID_ARG_TYPE`. Default: `true`. See docs/API.md
     * §2.6.
     */
    expectContinue?: boolean | null
    /**
     * Aborting it is `abort()`: `uploadFile:fail abort` (`ABORT_ERR`), with the signal's `reason`
     * as `cause`. Already aborted: nothing is sent, not even the request. Its listener is removed
     * when the task settles. Any object with a boolean `aborted` and `addEventListener` /
     * `removeEventListener` is one (other realms, polyfills); anything else is a parameter error.
     * Default: none. See docs/API.md §8.
     */
    signal?: AbortSignal | null
    /** Accepted and ignored. */
    withCredentials?: boolean
    /**
     * `true`: HTTP/3 (QUIC) to `https:` origins, falling back to TCP (HTTP/2 or HTTP/1.1) when QUIC
     * does not come up within 1 s, remembered per origin. `http:` and proxied uploads ignore it.
     * Not a boolean: `ERR_INVALID_ARG_TYPE`. Default: `false`. See docs/API.md §2.7.
     */
    enableQuic?: boolean | null
    /** Called with the result when a response arrived, whatever its status. See docs/API.md §3. */
    success?: (result: SuccessCallbackResult) => void
    /** Called with the `UploadError` when the upload failed. See docs/API.md §3. */
    fail?: (error: UploadError) => void
    /** Called after `success` or `fail`, with the same argument. See docs/API.md §3. */
    complete?: (result: SuccessCallbackResult | UploadError) => void
    // END GENERATED options
  }

  interface SuccessCallbackResult {
    /** `uploadFile:ok`. */
    errMsg: string
    /** The HTTP status code (404 and 500 included). */
    statusCode: number
    /** The response body, decoded as UTF-8. */
    data: string
    /** Response headers: lower-case names, repeats joined with `', '`, `set-cookie` an array. */
    header: ResponseHeader
    /** The `Set-Cookie` values, `[]` when none. */
    cookies: string[]
    /** How many times the upload was sent (`1` without resends). See docs/API.md §2.3. */
    attempts: number
    /** With `enableProfile: true`: the timings of the request that produced the result. */
    profile?: RequestProfile
  }
}

export declare namespace UploadTask {
  interface OnProgressUpdateCallbackResult {
    /** `floor(totalBytesSent * 100 / totalBytesExpectedToSend)`, an integer 0..100. */
    progress: number
    /** Body bytes handed to the connection so far. */
    totalBytesSent: number
    /** The exact `Content-Length` of the whole multipart body. */
    totalBytesExpectedToSend: number
  }
  type OnProgressUpdateCallback = (result: OnProgressUpdateCallbackResult) => void

  interface OnHeadersReceivedCallbackResult {
    /** Response headers, as in the success result. */
    header: ResponseHeader
  }
  type OnHeadersReceivedCallback = (result: OnHeadersReceivedCallbackResult) => void
}

/** The task methods that `uploadFile`'s promise carries. Listener methods return the promise. */
export interface UploadTaskMethods {
  /** Cancels the upload; it fails with `uploadFile:fail abort`. A no-op once settled. */
  abort(): void
  /** Adds a progress listener (the same function twice is called twice). */
  onProgressUpdate(callback: UploadTask.OnProgressUpdateCallback): UploadTaskPromise
  /** Removes the latest registration of `callback`, or every progress listener without one. */
  offProgressUpdate(callback?: UploadTask.OnProgressUpdateCallback): UploadTaskPromise
  /** Adds a listener called once when the response headers arrive. */
  onHeadersReceived(callback: UploadTask.OnHeadersReceivedCallback): UploadTaskPromise
  /** Removes the latest registration of `callback`, or every headers listener without one. */
  offHeadersReceived(callback?: UploadTask.OnHeadersReceivedCallback): UploadTaskPromise
  /** Legacy alias of `onProgressUpdate`. */
  progress(callback: UploadTask.OnProgressUpdateCallback): UploadTaskPromise
  /** Legacy alias of `onHeadersReceived`. */
  headersReceive(callback: UploadTask.OnHeadersReceivedCallback): UploadTaskPromise
}

/** A real `Promise` of the result that also carries the task methods. */
export type UploadTaskPromise = Promise<uploadFile.SuccessCallbackResult> & UploadTaskMethods

/** Uploads a file as `multipart/form-data`, as `Taro.uploadFile`. Never throws. */
export declare function uploadFile(option: uploadFile.Option): UploadTaskPromise

/** The native task behind `uploadFile` (low-level: `start` once, listeners by id). */
export declare const UploadTask: typeof NativeUploadTask
export type UploadTask = NativeUploadTask
