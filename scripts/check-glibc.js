#!/usr/bin/env node
'use strict'

/**
 * Fails when a Linux gnu binary needs a glibc newer than the floor it is published for.
 *
 *   node scripts/check-glibc.js [--max 2.17] [file.node ...]
 *
 * With no file it checks every `*.linux-*-gnu.node` at the package root and in npm/*-gnu/.
 * The versions come from the ELF "version needs" section (`readelf -V`, binutils): the
 * GLIBC_x.y versions the dynamic loader will demand of libc.so.6, libm, libpthread, ...
 * The symbols that need a version above the floor are listed from the dynamic symbol
 * table (`readelf --dyn-syms`), so a failure says which call pulled the version in.
 * readelf reads ELF files of any architecture, so this also checks an aarch64 binary on x64.
 */

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')

function parseArgs(argv) {
  let max = '2.17'
  const files = []
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--max') max = argv[++i]
    else if (argv[i].startsWith('--max=')) max = argv[i].slice('--max='.length)
    else if (argv[i] === '-h' || argv[i] === '--help') {
      console.log('usage: node scripts/check-glibc.js [--max 2.17] [file.node ...]')
      process.exit(0)
    } else files.push(argv[i])
  }
  if (!/^\d+(\.\d+)+$/.test(max || '')) throw new Error(`--max wants a version like 2.17, got ${max}`)
  return { max, files }
}

/** Compares dotted versions numerically: 2.9 < 2.17 < 2.17.1. */
function compareVersions(a, b) {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] || 0) - (y[i] || 0)
    if (d !== 0) return d
  }
  return 0
}

/** The gnu binaries at the package root and in the per-platform packages under npm/. */
function defaultFiles() {
  const found = []
  const gnu = (name) => /\.linux-[^.]+-gnu[^.]*\.node$/.test(name)
  for (const name of fs.readdirSync(root)) if (gnu(name)) found.push(path.join(root, name))
  const npmDir = path.join(root, 'npm')
  if (fs.existsSync(npmDir)) {
    for (const dir of fs.readdirSync(npmDir)) {
      if (!dir.endsWith('-gnu')) continue
      for (const name of fs.readdirSync(path.join(npmDir, dir))) {
        if (gnu(name)) found.push(path.join(npmDir, dir, name))
      }
    }
  }
  return found
}

function readelf(args, file) {
  try {
    return execFileSync('readelf', [...args, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  } catch (error) {
    if (error.code === 'ENOENT') throw new Error('readelf not found: install binutils (apt-get install binutils)')
    throw new Error(`readelf ${args.join(' ')} ${file} failed: ${error.stderr || error.message}`)
  }
}

/**
 * The GLIBC versions `file` needs, and for each the undefined dynamic symbols bound to it.
 * @returns {{ versions: string[], symbols: Map<string, string[]> }}
 */
function glibcNeeds(file) {
  const needs = readelf(['-V', '-W'], file)
  const section = needs.split(/\n(?=\S)/).find((part) => part.startsWith('Version needs section')) || ''
  const versions = [...new Set([...section.matchAll(/Name: GLIBC_(\d+(?:\.\d+)+)/g)].map((m) => m[1]))]
  versions.sort(compareVersions)
  const symbols = new Map()
  for (const line of readelf(['--dyn-syms', '-W'], file).split('\n')) {
    const m = /\sUND\s+(\S+?)@GLIBC_(\d+(?:\.\d+)+)/.exec(line)
    if (!m) continue
    const list = symbols.get(m[2]) || []
    list.push(m[1])
    symbols.set(m[2], list)
  }
  return { versions, symbols }
}

function main() {
  const { max, files: given } = parseArgs(process.argv.slice(2))
  const files = given.length ? given.map((f) => path.resolve(f)) : defaultFiles()
  if (files.length === 0) {
    console.error('check-glibc: no *.linux-*-gnu.node file found (build one first: npm run build:dist)')
    process.exit(2)
  }
  let failed = false
  for (const file of files) {
    const rel = file.startsWith(process.cwd() + path.sep) ? path.relative(process.cwd(), file) : file
    if (!fs.existsSync(file)) {
      console.error(`check-glibc: ${rel}: no such file`)
      failed = true
      continue
    }
    const { versions, symbols } = glibcNeeds(file)
    if (versions.length === 0) {
      console.error(`check-glibc: ${rel}: no GLIBC_ version needs found (not a dynamically linked glibc binary?)`)
      failed = true
      continue
    }
    const highest = versions[versions.length - 1]
    const above = versions.filter((v) => compareVersions(v, max) > 0)
    if (above.length === 0) {
      console.log(`check-glibc: ${rel}: highest GLIBC_${highest} <= ${max} ok (needs ${versions.join(', ')})`)
      continue
    }
    failed = true
    console.error(`check-glibc: ${rel}: needs GLIBC_${highest}, above the floor ${max}`)
    for (const v of above) {
      const names = symbols.get(v) || []
      console.error(`  GLIBC_${v}: ${names.length ? names.join(', ') : '(no symbol listed)'}`)
    }
  }
  process.exit(failed ? 1 : 0)
}

if (require.main === module) {
  try {
    main()
  } catch (error) {
    console.error(`check-glibc: ${error.message}`)
    process.exit(2)
  }
}

module.exports = { glibcNeeds, compareVersions }
