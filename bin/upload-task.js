#!/usr/bin/env node
'use strict'

// `upload-task [options] <url> <file>`: uploads a file as multipart/form-data from the command
// line. The command lives in cli/; its manual is docs/CLI.md, and `upload-task --help`.

require('../cli/main.js').main()
