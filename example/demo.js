'use strict'

// The demo: starts the recording test server of upload-task/testing on 127.0.0.1, makes a file
// of random bytes, and uploads it with the command-line tool, bin/upload-task.js, which shows a
// progress bar on a terminal (plain lines otherwise). The server answers with what it received,
// and the demo checks its SHA-256 against the file's.
//   node example/demo.js [size-in-MiB=256]        (npm run demo)

const { spawn } = require('node:child_process')
const path = require('node:path')
const { startServer, makeTempFile } = require('../testing')

const MiB = 1024 * 1024
const CLI = path.join(__dirname, '..', 'bin', 'upload-task.js')

/** The size to upload, from the first argument (MiB, default 256). */
function sizeMiB() {
  const size = Number(process.argv[2] ?? 256)
  if (!(size > 0)) throw new Error(`the size should be a positive number of MiB, not ${process.argv[2]}`)
  return size
}

/**
 * Runs the CLI with `args`: its stderr (the progress bar) is this process's, its stdout (the
 * response body) is collected. While it runs, Ctrl-C is left to it: it aborts the upload and
 * exits with 130, and the demo then cleans up.
 * @returns {Promise<{ status: number, stdout: string }>}
 */
function runCli(args) {
  const ignore = () => {}
  process.on('SIGINT', ignore)
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['inherit', 'pipe', 'inherit'] })
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (text) => {
    stdout += text
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ status: code ?? (signal ? 128 : 1), stdout }))
  }).finally(() => process.off('SIGINT', ignore))
}

/** Says whether the server's record of the file matches the file that was sent. */
function report(stdout, file) {
  const received = JSON.parse(stdout)
  console.log(`server received: fields ${JSON.stringify(received.fields)}, file ${JSON.stringify(received.file)}`)
  const same = received.file?.sha256 === file.sha256
  console.log(`server's SHA-256 ${same ? 'matches' : 'DIFFERS FROM'} the file's`)
  return same
}

async function main() {
  const size = sizeMiB()
  const server = await startServer()
  console.log(`making a file of ${size} MiB of random bytes…`)
  const file = await makeTempFile(Math.round(size * MiB), { name: 'demo.bin' })
  try {
    const args = ['-F', 'user=demo', server.endpoint().url, file.path]
    console.log(`$ upload-task ${args.map((a) => (/^[\w./:=-]+$/.test(a) ? a : `'${a}'`)).join(' ')}`)
    const { status, stdout } = await runCli(args)
    if (status !== 0) {
      console.log(`upload-task exited with ${status} (see docs/CLI.md, "Exit status")`)
      process.exitCode = status
    } else if (!report(stdout, file)) {
      process.exitCode = 1
    }
  } finally {
    await file.remove()
    await server.close()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
