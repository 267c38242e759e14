/**
 * upload-task: Taro's `uploadFile` / `UploadTask` for Node.js and Electron main.
 * Compatible with Taro's `uploadFile.Option`, `uploadFile.SuccessCallbackResult`,
 * `UploadTask` and `UploadTaskPromise`.
 */
import { UploadTask as NativeUploadTask } from './binding'

export type {
  ProgressEvent,
  HeadersEvent,
  UploadRequest,
  UploadSuccess,
  UploadFailure,
  NameValue,
} from './binding'

/** Any plain object, as Taro's `TaroGeneral.IAnyObject`. */
export interface IAnyObject {
  [key: string]: any
}

/** Codes of a failed upload (see README, "Errors"). */
export type UploadErrorCode =
  | 'ABORT_ERR'
  | 'ETIMEDOUT'
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ENOENT'
  | 'EACCES'
  | 'EISDIR'
  | 'ERR_NOT_REGULAR_FILE'
  | 'ERR_FILE_CHANGED'
  | 'ECONNREFUSED'
  | 'ENOTFOUND'
  | 'ECONNRESET'
  | 'EPIPE'
  | 'ERR_TLS_CERT_INVALID'
  | 'ERR_NETWORK'

/** What a failed upload rejects with, and what `fail` / `complete` receive. */
export interface UploadError extends Error {
  /** `uploadFile:fail <reason>`; equal to `message`. */
  errMsg: string
  /** A stable code. */
  code: UploadErrorCode
}

export declare namespace uploadFile {
  interface Option {
    /** `http:` or `https:` URL to POST to. */
    url: string
    /** Path of a regular file on disk. */
    filePath: string
    /** Multipart field name of the file part. */
    name: string
    /** Request headers; `Content-Type`, `Content-Length`, `Transfer-Encoding`, `Host` are the upload's own. */
    header?: IAnyObject
    /** Extra text fields, sent before the file in insertion order. */
    formData?: IAnyObject
    /** Deadline of the whole upload in ms; `0` or absent: 60000; `Infinity`: none. */
    timeout?: number
    /** `filename` of the file part; defaults to the basename of `filePath`. */
    fileName?: string
    /** Accepted and ignored (Node has no cookie jar). */
    withCredentials?: boolean
    /** Accepted and ignored. */
    enableHttp2?: boolean
    /** Accepted and ignored. */
    enableQuic?: boolean
    /** Accepted and ignored. */
    enableProfile?: boolean
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
    header: IAnyObject
    /** The `Set-Cookie` values, `[]` when none. */
    cookies: string[]
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
    header: IAnyObject
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
