// Type tests of testing/index.d.ts (`upload-task/testing`), checked by `tsc --noEmit`
// (npm run typecheck): code that must compile, and, behind `@ts-expect-error`, code that must not.

import { createSecureServer } from 'node:http2'
import { uploadFile } from 'upload-task'
import {
  type Behaviour,
  closedPort,
  createCertificates,
  type Endpoint,
  type Listening,
  listen,
  makeTempFile,
  type RequestRecord,
  sha256File,
  startServer,
  type TestServer,
  within,
} from 'upload-task/testing'

async function typed(): Promise<void> {
  const server: TestServer = await startServer({ keepAliveTimeout: 1000 })
  const tlsServer = await startServer({ tls: true })
  const ca: string | undefined = tlsServer.ca
  const file = await makeTempFile(1024, { name: 'a.txt' })

  const behaviour: Behaviour = {
    status: 201,
    headers: [
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ],
    body: Buffer.from('created'),
    delayMs: 10,
  }
  const endpoint: Endpoint = server.endpoint(behaviour)
  server.endpoint({ headers: { 'X-A': ['1', '2'], 'X-B': 3 }, readDelayMs: 5, holdBody: true })
  server.endpoint({ respond: false })
  server.endpoint({ reset: true })

  const res = await uploadFile({ url: endpoint.url, filePath: file.path, name: 'file' })
  const rec: RequestRecord = await endpoint.received()
  const arrived: RequestRecord = await within(endpoint.arrived, 1000, 'the request')
  const fields: Array<[string, string]> = rec.fields
  const sameFile: boolean = rec.file?.sha256 === file.sha256 && (await sha256File(file.path)) === file.sha256
  const agent: string | undefined = rec.headers['user-agent']
  const count: number = endpoint.records().length + server.records.length + server.connections + rec.connection
  await rec.waitForBytes(10)
  rec.unthrottle()
  arrived.release()
  const port: number = await closedPort()
  const { key, cert } = await createCertificates()
  const h2: Listening = await listen(createSecureServer({ key, cert }))
  await uploadFile({ url: `https://127.0.0.1:${h2.port}/`, filePath: file.path, name: 'f', enableHttp2: true })
  await h2.close()
  void [res.statusCode, fields, sameFile, agent, count, port, key, cert, ca]

  server.closeIdleConnections()
  await file.remove()
  await Promise.all([server.close(), tlsServer.close()])
}
void typed

async function wrong(server: TestServer): Promise<void> {
  // @ts-expect-error an unknown behaviour option
  server.endpoint({ stauts: 404 })
  // @ts-expect-error status is a number
  server.endpoint({ status: '404' })
  // @ts-expect-error within needs a description
  await within(Promise.resolve(), 10)
  // @ts-expect-error records are read-only on the server
  server.records = []
  // @ts-expect-error listen takes a server, not options
  await listen({ port: 0 })
}
void wrong
