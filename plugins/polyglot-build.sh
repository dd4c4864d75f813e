#!/usr/bin/env bash
# Builds the policy plugins written in other languages into WebAssembly
# components:
#
#   plugins/python-standard  (componentize-py)  ->  <target>/polyglot/python-standard.wasm
#   plugins/js-standard      (componentize-js)  ->  <target>/polyglot/js-standard.wasm
#
# <target> is $CARGO_TARGET_DIR, else the workspace's target/. The tools are
# installed from PyPI and npm at the versions pinned in the plugins'
# requirements.txt and package-lock.json, into a cache beside the components
# (<target>/polyglot/tools: a Python venv and node_modules). A component is
# rebuilt only when its inputs (sources, WIT, pinned versions, this script)
# change, so a second run does nothing. Needs python3 (with venv) and
# node >= 20.19 with npm.
#
# Both are built against the frozen nudge:policy@0.1.0 world (wit/0.1) on
# purpose: they are the proof that plugins built against 0.1 keep working
# beside the current 0.2.0 (wit/).
#
# Usage: plugins/polyglot-build.sh [python] [js]     (no argument: both)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$target"
target="$(cd "$target" && pwd)"
out="$target/polyglot"
tools="$out/tools"
script="plugins/polyglot-build.sh"

fail() {
    echo "polyglot-build: error: $*" >&2
    exit 1
}

# The sha256 of the files under the given workspace paths and of this script.
inputs_hash() {
    (
        cd "$root"
        find "$@" -type f ! -name '*.md' ! -path '*/__pycache__/*' ! -path '*/node_modules/*' -print0 | sort -z | xargs -0 sha256sum
        sha256sum "$script"
        for tool in "${tool_versions[@]}"; do echo "$tool"; done
    ) | sha256sum | cut -d' ' -f1
}

# True (and says so) when $1 exists and was built from inputs hashing to $2.
up_to_date() {
    if [[ -f $1 && -f $1.inputs && "$(cat "$1.inputs")" == "$2" ]]; then
        echo "polyglot-build: $(basename "$1") is up to date ($1)"
        return 0
    fi
    return 1
}

# Moves a finished build into place and records what it was built from.
publish() {
    mv "$1.tmp" "$1"
    echo "$2" >"$1.inputs"
    echo "polyglot-build: wrote $1 ($(stat -c %s "$1") bytes)"
}

build_python() {
    local plugin="plugins/python-standard" wasm="$out/python-standard.wasm"
    command -v python3 >/dev/null || fail "python3 is not installed (Debian: apt-get install python3 python3-venv)"
    local tool_versions=("$(python3 --version 2>&1)")
    local hash
    hash="$(inputs_hash wit/0.1 "$plugin")"
    up_to_date "$wasm" "$hash" && return 0

    local venv="$tools/venv" pins
    pins="$(cat "$root/$plugin/requirements.txt" <(python3 --version 2>&1) | sha256sum | cut -d' ' -f1)"
    if [[ ! -x $venv/bin/componentize-py || "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]]; then
        echo "polyglot-build: installing componentize-py into $venv"
        rm -rf "$venv"
        python3 -m venv "$venv" ||
            fail "python3 -m venv $venv failed; install the venv module (Debian: apt-get install python3-venv)"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/$plugin/requirements.txt" ||
            fail "pip could not install $plugin/requirements.txt from PyPI"
        echo "$pins" >"$venv/.pins"
    fi

    # Build from a copy: componentize-py writes __pycache__ next to the sources.
    local stage="$out/build/python-standard"
    rm -rf "$stage"
    mkdir -p "$stage"
    cp -R "$root/$plugin/app.py" "$root/$plugin/standard_policy" "$stage/"
    echo "polyglot-build: componentize-py -> $wasm"
    (
        cd "$stage"
        env -u VIRTUAL_ENV "$venv/bin/componentize-py" --quiet --wit-path "$root/wit/0.1" --world policy \
            componentize --stub-wasi app --output "$wasm.tmp"
    ) || fail "componentize-py failed on $plugin (output above)"
    publish "$wasm" "$hash"
}

build_js() {
    local plugin="plugins/js-standard" wasm="$out/js-standard.wasm"
    command -v node >/dev/null || fail "node is not installed (Debian: apt-get install nodejs npm; node >= 20.19)"
    command -v npm >/dev/null || fail "npm is not installed (Debian: apt-get install npm)"
    local node_version
    node_version="$(node --version)"
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
        fail "node $node_version is too old for componentize-js and its dependencies; install node >= 20.19"
    local tool_versions=("node $node_version")
    local hash
    hash="$(inputs_hash wit/0.1 "$plugin")"
    up_to_date "$wasm" "$hash" && return 0

    local modules="$tools/js" pins
    pins="$(cat "$root/$plugin/package.json" "$root/$plugin/package-lock.json" <(echo "$node_version") | sha256sum | cut -d' ' -f1)"
    if [[ ! -x $modules/node_modules/.bin/componentize-js || "$(cat "$modules/.pins" 2>/dev/null)" != "$pins" ]]; then
        echo "polyglot-build: installing componentize-js into $modules"
        rm -rf "$modules"
        mkdir -p "$modules"
        cp "$root/$plugin/package.json" "$root/$plugin/package-lock.json" "$modules/"
        (cd "$modules" && npm ci --no-audit --no-fund --loglevel=error) ||
            fail "npm ci could not install $plugin/package-lock.json from the npm registry"
        echo "$pins" >"$modules/.pins"
    fi

    # Every WASI feature is disabled: with stdio, StarlingMonkey imports
    # wasi:filesystem, which the host refuses. Errors then trap silently.
    echo "polyglot-build: componentize-js -> $wasm"
    "$modules/node_modules/.bin/componentize-js" "$root/$plugin/src/policy.js" --wit "$root/wit/0.1" \
        --world-name policy --disable stdio random clocks http fetch-event --out "$wasm.tmp" ||
        fail "componentize-js failed on $plugin (output above)"
    publish "$wasm" "$hash"
}

languages=("$@")
[[ ${#languages[@]} -gt 0 ]] || languages=(python js)
mkdir -p "$tools"
# One build at a time per target directory (tests may start this concurrently).
exec 9>"$out/.lock"
flock 9
for language in "${languages[@]}"; do
    case "$language" in
    python) build_python ;;
    js) build_js ;;
    *) fail "unknown language '$language'; expected python or js" ;;
    esac
done
