/**
 * upload-task/testing: a real HTTP(S) server on 127.0.0.1 for testing code that uploads with
 * `upload-task`. The uploads run in native code, so HTTP mocking libraries (nock, msw, undici's
 * `MockAgent`) never see them; this server receives them over TCP, parses the multipart body and
 * records what actually arrived. Its own timers are Node's (`node:timers`), so it keeps real
 * time under Jest's fake timers. See testing/README.md and docs/TESTING.md.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Server } from 'node:net'

/**
 * How an endpoint answers. Every option is optional and they combine; `{}` reads the whole body,
 * then answers 200 with a JSON summary of the record: `{ id, fields, file, bytesReceived }`.
 * An unknown option, or a header Node would refuse to send, makes `endpoint()` throw a
 * `TypeError`.
 */
export interface Behaviour {
  /** Status code of the answer. Default 200. */
  status?: number
  /**
   * Response headers; `[name, value]` pairs keep order and repeats. Content-Length is added
   * unless given.
   */
  headers?:
    | Readonly<Record<string, string | number | ReadonlyArray<string | number>>>
    | ReadonlyArray<readonly [string, string | number]>
  /** Response body; default: the JSON summary, with Content-Type `application/json`. */
  body?: string | Buffer
  /** Answer this many ms (real time) after the body was read. Default 0. */
  delayMs?: number
  /** `false`: read the whole body and never answer (for timeouts, an abort while waiting). */
  respond?: boolean
  /** `true`: destroy the connection as soon as the request arrives, without an answer. */
  reset?: boolean
  /**
   * Read slowly: pause this many ms (real time) per chunk of up to 16 KiB, so that TCP
   * backpressure holds the client mid-body; `record.unthrottle()` ends it. Default 0.
   */
  readDelayMs?: number
  /** `true`: send the status line and headers, and the body only on `record.release()`. */
  holdBody?: boolean
}

/** A file part as the server received it. */
export interface FilePart {
  /** The form field name. */
  field: string
  /** The `filename` as sent (slashes included, nothing decoded beyond UTF-8). */
  filename: string
  /** The part's Content-Type. */
  mimeType: string
  /** Content bytes received so far. */
  bytes: number
  /** Hex SHA-256 of the content, once the part ended; `undefined` before. */
  sha256: string | undefined
}

/** One received request, filled in as it arrives. */
export interface RequestRecord {
  /** The endpoint it was sent to; `null` for a path that is no endpoint's. */
  id: string | null
  method: string
  /** The request target, query included. */
  url: string
  /** The URL path without the query. */
  path: string
  /** Request headers, lower-case names (Node's `IncomingMessage.headers`). */
  headers: IncomingHttpHeaders
  /** Header names and values as sent, alternating. */
  rawHeaders: string[]
  /** Number of the connection it came on, from 1: equal numbers mean a reused connection. */
  connection: number
  /** Text fields, `[name, value]`, in arrival order. */
  fields: Array<[string, string]>
  /** File parts in arrival order. */
  files: FilePart[]
  /** The first file part, if any. */
  file: FilePart | undefined
  /** Raw body bytes read from the socket so far. */
  bytesReceived: number
  /** The whole body arrived. */
  completed: boolean
  /** The connection closed before the body ended. */
  closedEarly: boolean
  /** What the multipart parser reported, if anything (the answer is then a 400). */
  parseError: Error | undefined
  /** Resolves with this record once the body was parsed (or refused), or the connection closed early. */
  finished: Promise<RequestRecord>
  /** Resolves when the request's connection closes. */
  socketClosed: Promise<void>
  /** Resolves once `n` body bytes arrived, or the body ended, or the connection closed. */
  waitForBytes(n: number): Promise<void>
  /** Ends a `readDelayMs` pace: the rest is read at full speed. */
  unthrottle(): void
  /** Sends the body held back by `holdBody`. */
  release(): void
}

/** An address of its own on the server, answered as its behaviour says. */
export interface Endpoint {
  /** Its id, the first path segment of `url`. */
  id: string
  /** `<origin>/<id>`; a path or a query may be appended. */
  url: string
  /** The first request's record, as soon as its headers arrived. */
  arrived: Promise<RequestRecord>
  /** The first request's record once its body was parsed or its connection closed early. */
  received(): Promise<RequestRecord>
  /** Every request sent to it so far. */
  records(): RequestRecord[]
}

export interface ServerOptions {
  /** HTTPS with a certificate for 127.0.0.1 and localhost signed by a generated CA (`server.ca`). Default false. */
  tls?: boolean
  /** How long an idle keep-alive connection stays open, ms. Default 60000. */
  keepAliveTimeout?: number
}

/** A recording server on 127.0.0.1. Close it when done (`afterAll`, `test.after.always`). */
export interface TestServer {
  port: number
  /** `http://127.0.0.1:<port>`, or `https://…` with `tls`. */
  origin: string
  /** With `tls`: PEM of the CA that signed the server certificate. Nothing trusts it by default. */
  ca: string | undefined
  /** Every request, in arrival order (endpoints' and others). */
  readonly records: RequestRecord[]
  /** Connections accepted so far. */
  readonly connections: number
  /** A new endpoint answered as `behaviour` says. */
  endpoint(behaviour?: Behaviour): Endpoint
  /** Closes the keep-alive connections that carry no request. */
  closeIdleConnections(): void
  /** Stops the server and closes every connection. */
  close(): Promise<void>
}

/** Starts a recording server on 127.0.0.1, on a free port. */
export declare function startServer(options?: ServerOptions): Promise<TestServer>

/** A server of your own listening on 127.0.0.1, from `listen()`. */
export interface Listening {
  port: number
  /**
   * Stops the server and destroys every connection it accepted, idle or busy, then resolves once
   * it closed. Never waits for a client to drop its idle pooled connections (upload-task keeps
   * them up to 4 s; on Node 20 and 22 an HTTP/2 server's own `close()` waits for them).
   */
  close(): Promise<void>
}

/**
 * Starts a server of your own (`node:http`, `node:https`, `node:http2`, `node:tls` or `node:net`;
 * not yet listening) on 127.0.0.1, on a free port.
 */
export declare function listen(server: Server): Promise<Listening>

/** A port on 127.0.0.1 where nothing listens: a target for refused connections (`ECONNREFUSED`). */
export declare function closedPort(): Promise<number>

/** A temp file and what it holds. */
export interface TempFile {
  path: string
  /** Its own directory under `os.tmpdir()`. */
  dir: string
  size: number
  /** Hex SHA-256 of the content: compare with `record.file.sha256`. */
  sha256: string
  /** Deletes the file and its directory. */
  remove(): Promise<void>
}

export interface TempFileOptions {
  /** The file name. Default `upload.bin`. */
  name?: string
  /** Up to this size the content is fully random, above it faster stamped blocks. Default 64 MiB. */
  randomUpTo?: number
}

/** Creates a temp file of `size` bytes of random content in a directory of its own. */
export declare function makeTempFile(size: number, options?: TempFileOptions): Promise<TempFile>

/** Hex SHA-256 of a file, streamed. */
export declare function sha256File(filePath: string): Promise<string>

/** PEM texts of a generated CA and of a server certificate it signed. */
export interface Certificates {
  /** The CA's certificate: what a client must trust. */
  ca: string
  /** The server certificate (subjectAltName IP:127.0.0.1, DNS:localhost). */
  cert: string
  /** The server certificate's private key. */
  key: string
}

/** The certificates of this process, made with the `openssl` command on the first call. */
export declare function createCertificates(): Promise<Certificates>

/**
 * `promise`, or a rejection "<what> did not happen within <ms> ms" after `ms` of real time
 * (also under fake timers).
 */
export declare function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T>
