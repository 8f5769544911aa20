# Installing the peers under target/peers/, kept there between runs and reinstalled only when
# what they pin changes. Sourced by scripts/test.sh and scripts/compare.sh.
# shellcheck shell=bash

# kcb_python_peers: the Python peers (scripts/peers/requirements.txt) in target/peers/venv;
# exports KCB_PYTHON when they are there. Returns non-zero if they could not be installed.
kcb_python_peers() {
  local venv=target/peers/venv
  local stamp=$venv/.requirements
  if ! cmp -s scripts/peers/requirements.txt "$stamp" 2>/dev/null; then
    echo "installing the Python peers into $venv" >&2
    if python3 -m venv "$venv" >/dev/null \
      && "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/peers/requirements.txt; then
      cp scripts/peers/requirements.txt "$stamp"
    else
      echo "could not install the Python peers (scripts/peers/requirements.txt) into $venv" >&2
    fi
  fi
  [ -f "$stamp" ] || return 1
  export KCB_PYTHON="$PWD/$venv/bin/python"
}

# kcb_npm_peers: the npm peers (scripts/peers/package.json: kinesalite) in target/peers/npm.
# Returns non-zero if they could not be installed.
kcb_npm_peers() {
  local dir=target/peers/npm
  local stamp=$dir/.package.json
  if ! cmp -s scripts/peers/package.json "$stamp" 2>/dev/null; then
    command -v npm >/dev/null 2>&1 || { echo "npm is required for the npm peers (kinesalite)" >&2; return 1; }
    echo "installing the npm peers into $dir" >&2
    mkdir -p "$dir"
    cp scripts/peers/package.json "$dir/package.json"
    if npm install --prefix "$dir" --no-audit --no-fund --silent >/dev/null; then
      cp scripts/peers/package.json "$stamp"
    else
      echo "could not install the npm peers (scripts/peers/package.json) into $dir" >&2
    fi
  fi
  [ -f "$stamp" ]
}
