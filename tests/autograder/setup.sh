#!/usr/bin/env bash
# Gradescope autograder: setup.sh, run once as root when the image is built
# (the zip is unpacked in /autograder/source).  Installs everything the
# grader and the tests need, non-interactively, and creates the sandbox user
# the student's code runs as.  Choose Gradescope's Ubuntu 24.04 base image
# (or Debian 12): bats must be 1.5 or newer (Ubuntu 22.04 has 1.2.1).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

apt-get update -q
apt-get install -y -q --no-install-recommends \
  build-essential make gcc clang \
  bats bats-support bats-assert bats-file \
  procps util-linux iproute2 passwd \
  python3 python3-redis netcat-openbsd \
  valgrind strace redis-tools redis-server \
  ca-certificates
apt-get clean

version=$(bats --version | sed -nE 's/^Bats ([0-9]+)\.([0-9]+).*/\1 \2/p')
read -r major minor <<<"${version:-0 0}"
if ((major < 1 || (major == 1 && minor < 5))); then
  echo "setup.sh: bats $(bats --version) is too old (1.5 needed): pick Gradescope's Ubuntu 24.04 image" >&2
  exit 1
fi

/autograder/source/tp7/tests/sandbox/setup-users 1
chmod 0755 /autograder/source/run_autograder
