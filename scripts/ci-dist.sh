#!/usr/bin/env bash
# The distribution checks of CI (docs/PLATFORMS.md): the linux-x64-gnu binary built for the
# glibc 2.17 floor the way napi-rs builds it (`napi build --use-napi-cross`), its GLIBC_ symbol
# versions checked, put into npm/linux-x64-gnu by `napi artifacts`, the main and the platform
# package packed and installed offline into an empty project and used there
# (__test__/pack.test.js), and the types of the packed package checked by arethetypeswrong.
#
#   bash scripts/ci-dist.sh               all steps, in order
#   bash scripts/ci-dist.sh build         toolchain + floor build + glibc check + artifacts
#   bash scripts/ci-dist.sh STEP ...      some of: toolchain floor glibc artifacts pack attw
#
# Needs `npm ci` to have run (the napi CLI, ava and attw are devDependencies, and the pack
# test installs busboy and cli-progress from the npm cache that `npm ci` filled). Installs
# what else it needs (the cross toolchain, from the npm registry, into ~/.napi-rs) and skips
# it when already there. `build` writes upload-task.linux-x64-gnu.node, binding.js and
# binding.d.ts at the root exactly like `npm run build`, so it can take that step's place and
# the tests then run on the binary that is shipped. CARGO_TARGET_DIR is respected.
set -euo pipefail
cd "$(dirname "$0")/.."

triple=x86_64-unknown-linux-gnu
platform=linux-x64-gnu
floor=2.17
binary="$(node -p 'require("./package.json").napi.binaryName').${platform}.node"

step_toolchain() {
  echo "== cross toolchain for ${triple} (glibc ${floor} sysroot, @napi-rs/cross-toolchain)"
  node scripts/cross-toolchain.js --target "$triple"
}

step_floor() {
  echo "== floor build: npm run build:dist (napi build --release --target ${triple} --use-napi-cross)"
  local start=$SECONDS
  npm run build:dist
  echo "floor build: $((SECONDS - start))s"
}

step_glibc() {
  echo "== highest GLIBC_ version the binary needs (floor ${floor})"
  node scripts/check-glibc.js --max "$floor" "$binary"
}

# `napi artifacts` copies the built binaries into npm/<platform>/. It wants one for every
# target in package.json; here only this host's is built, so it gets a config naming that
# target alone, and reads the binary from a folder laid out like the workflow's downloads.
step_artifacts() {
  echo "== napi artifacts: ${binary} into npm/${platform}"
  local dir
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' RETURN
  node -e '
    const napi = require("./package.json").napi
    const config = { ...napi, targets: [process.argv[1]] }
    require("node:fs").writeFileSync(process.argv[2], JSON.stringify(config))
  ' "$triple" "$dir/napi-host.json"
  mkdir -p "$dir/artifacts/bindings-${triple}"
  cp "$binary" "$dir/artifacts/bindings-${triple}/"
  npx napi artifacts --config-path "$dir/napi-host.json" --output-dir "$dir/artifacts"
  node scripts/check-glibc.js --max "$floor" "npm/${platform}/${binary}"
}

step_pack() {
  echo "== pack and install offline: __test__/pack.test.js"
  UPLOAD_TASK_PACK_TEST=required npx ava __test__/pack.test.js
}

step_attw() {
  echo "== arethetypeswrong on the packed package"
  npx attw --pack .
}

steps=("$@")
if [ ${#steps[@]} -eq 0 ]; then steps=(toolchain floor glibc artifacts pack attw); fi
for step in "${steps[@]}"; do
  case "$step" in
    build) step_toolchain; step_floor; step_glibc; step_artifacts ;;
    toolchain | floor | glibc | artifacts | pack | attw) "step_$step" ;;
    *) echo "ci-dist: unknown step $step (toolchain floor glibc artifacts pack attw, or build)" >&2; exit 2 ;;
  esac
done
