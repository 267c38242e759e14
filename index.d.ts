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
export type Protocol = 'http1.1' | 'h2' | 'http1.0'

/** The timings of the request that produced a result (`enableProfile`; docs/API.md §2.4). */
export interface RequestProfile extends Omit<NativeRequestProfile, 'protocol'> {
  /** `http1.1`, `h2` or `http1.0`. */
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
   * For `ETIMEDOUT` (the `timeout` deadline or the `idleTimeout`): where the upload was when
   * time ran out: `connect`, `send` (the server stopped taking the body), `wait` (body sent, no
   * response yet) or `receive`.
   */
  phase?: `${Phase}`
}

/** Whether `value` is an `UploadError`. */
export declare function isUploadError(value: unknown): value is UploadError

export declare namespace uploadFile {
  interface Option {
    /** `http:` or `https:` URL to POST to. */
    url: string
    /** Path of a regular file on disk. */
    filePath: string
    /** Multipart field name of the file part. */
    name: string
    /** Request headers; `Content-Type`, `Content-Length`, `Transfer-Encoding`, `Host` are the upload's own. */
    header?: IAnyObject | null
    /** Extra text fields, sent before the file in insertion order. */
    formData?: IAnyObject | null
    /** Deadline of the whole upload in ms; `0`, `null` or absent: 60000; `Infinity`: none. */
    timeout?: number | null
    /**
     * Fails the upload (`ETIMEDOUT`, with `phase`) when no byte moves for this many ms, in
     * either direction; an upload that keeps moving never hits it. `0`, `null` or absent: none.
     */
    idleTimeout?: number | null
    /**
     * Paces the body to at most this many bytes per second (as curl's `--limit-rate`); progress
     * keeps flowing. `0`, `null`, absent or `Infinity`: full speed.
     */
    maxBytesPerSecond?: number | null
    /**
     * The largest response body kept, in bytes (decoded); past it the upload fails with
     * `ERR_RESPONSE_TOO_LARGE`. `null` or absent: 64 MiB; `Infinity`: as much as a string holds.
     */
    maxResponseBytes?: number | null
    /**
     * Extra trusted root certificates for this upload (PEM: a string or Buffer, or an array of
     * them), added to the system's roots, as Node's `ca` adds to its own. For a private CA.
     */
    ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array> | null
    /** `filename` of the file part; defaults to the basename of `filePath`. */
    fileName?: string | null
    /**
     * Aborting it is `abort()`: the upload fails with `uploadFile:fail abort` (`ABORT_ERR`,
     * name `AbortError`), with the signal's `reason` as `cause`. Already aborted: nothing is
     * sent. Its listener is removed at settlement. Any object with a boolean `aborted` and
     * `addEventListener` / `removeEventListener` is accepted (other realms, polyfills).
     */
    signal?: AbortSignal | null
    /** Accepted and ignored (Node has no cookie jar). */
    withCredentials?: boolean
    /**
     * `true`: offer HTTP/2 by ALPN over `https:` (HTTP/1.1 when the server does not take it;
     * `http:` stays HTTP/1.1). `false`, `null` or absent: HTTP/1.1.
     */
    enableHttp2?: boolean | null
    /** Accepted and ignored. */
    enableQuic?: boolean
    /**
     * How many redirects are followed (301/302/303 as a GET without body, 307/308 with the file
     * sent again). `0`: none, the 3xx is the result. `null` or absent: 10.
     */
    maxRedirects?: number | null
    /**
     * A proxy URL (`http://user:password@host:port`) for this upload, or `false` for none.
     * `null` or absent: the proxy environment variables (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY).
     */
    proxy?: string | false | null
    /**
     * Send the upload again (re-opening the file) when the connection was refused or reset
     * before any response byte, or on 429/503. `null` or absent: never.
     */
    retry?: {
      /** How many times it may be sent again. Default 2. */
      limit?: number | null
      /** Milliseconds before the first repeat, doubled for each next one. Default 1000. */
      backoff?: number | null
      /** The longest `Retry-After` honoured, in milliseconds. Default 60000. */
      maxRetryAfter?: number | null
    } | null
    /** `true`: the result has `profile`, the request's timings. */
    enableProfile?: boolean | null
    /** Called with the result when a response arrived, whatever its status. */
    success?: (result: SuccessCallbackResult) => void
    /** Called with the error when the upload failed. */
    fail?: (error: UploadError) => void
    /** Called after `success` or `fail`. */
    complete?: (result: SuccessCallbackResult | UploadError) => void
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
    /** With `retry`: how many times the upload was sent. */
    attempts?: number
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
