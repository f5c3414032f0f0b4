# A new minimal Debian 12 root to run things in, as root: shared by
# tests/fresh-machine (make test-fresh) and tests/autograder/test-e2e
# (make test-autograder).  Sourced, after setting FRESH_NAME (the prefix of
# messages) and, if wanted, FRESH_CACHE, FRESH_INCLUDE and keep=1.
#
#   fresh_root_create [--rebuild]   sets $root (the new root) and $logs
#   in_root NAME CMD [PREFIX...]    runs CMD (bash) as root inside, logged
#
# 1. The root: mmdebstrap --variant=minbase with build-essential, git and
#    ca-certificates (what the README asks for), kept as a tarball in
#    $FRESH_CACHE (default /var/tmp/tp7-fresh) and reused for 7 days.
# 2. Unpacked into a new directory; the host's apt sources, apt.conf.d and
#    keyrings copied in (the root reaches the mirrors the host reaches);
#    services may not start (policy-rc.d); /proc, /sys, /dev, /dev/pts
#    bind-mounted.
# Whatever happens, processes left in the root are killed and the mounts
# undone (an EXIT trap set by fresh_root_create).
# shellcheck shell=bash disable=SC2317  # fresh_root_cleanup runs from a trap

CACHE=${FRESH_CACHE:-/var/tmp/tp7-fresh}
CACHE_DAYS=7
SUITE=bookworm
INCLUDE=${FRESH_INCLUDE:-build-essential,git,ca-certificates}
MOUNTS=(proc sys dev dev/pts)          # mounted in this order, unmounted in reverse
keep=${keep:-0}

say() { printf '%s: %s\n' "${FRESH_NAME:-fresh-root}" "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }

# Processes still running in the root (a server, a daemon an install
# started, a test a dying bats had just forked) would keep the mounts busy:
# kill them by pid, again until none is left.
kill_root_processes() {
  local link pid round found
  for round in 1 2 3 4 5 6 7 8 9 10; do
    found=0
    for link in /proc/[0-9]*/root; do
      [[ $(readlink "$link" 2>/dev/null) == "$root" ]] || continue
      pid=${link#/proc/}; pid=${pid%/root}
      kill -KILL "$pid" 2>/dev/null && found=1
    done
    [[ $found -eq 0 ]] && return 0
    sleep 0.2
  done
  say "processes still running in $root after $round rounds of SIGKILL"
}

fresh_root_cleanup() {
  local status=$? i m busy=()
  [[ -n ${root:-} && -d $root ]] || exit "$status"
  kill_root_processes
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    m=$root/${MOUNTS[i]}
    mountpoint -q "$m" || continue
    umount "$m" 2>/dev/null || umount --lazy "$m" 2>/dev/null || busy+=("$m")
  done
  if [[ ${#busy[@]} -gt 0 ]]; then
    say "could not unmount ${busy[*]}; $root left in place"
  elif [[ $keep -eq 1 ]]; then
    say "root kept in $root (logs in $logs)"
  else
    # --one-file-system: never follow into something still mounted
    rm -rf --one-file-system "$root"
  fi
  exit "$status"
}

# fresh_root_create [--rebuild]: steps 1 and 2 above; sets root and logs.
fresh_root_create() {
  local rebuild=0 tool tarball start tmp_tarball d m
  [[ ${1:-} == --rebuild ]] && rebuild=1
  [[ $(id -u) -eq 0 ]] || die "must run as root (it mounts /proc, /dev... and chroots)"
  for tool in chroot mount umount mountpoint unshare git tar; do
    command -v "$tool" >/dev/null || die "needs $tool on the host"
  done
  if ! command -v mmdebstrap >/dev/null; then
    say "installing mmdebstrap on the host"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends mmdebstrap; } >/dev/null ||
      die "cannot install mmdebstrap (apt-get install mmdebstrap)"
  fi
  if command -v zstd >/dev/null; then tarball=$CACHE/$SUITE-minbase.tar.zst
  else tarball=$CACHE/$SUITE-minbase.tar
  fi
  [[ $INCLUDE == build-essential,git,ca-certificates ]] ||
    tarball=${tarball/minbase/minbase-${INCLUDE//,/-}}

  mkdir -p "$CACHE"
  start=$SECONDS
  if [[ $rebuild -eq 1 || ! -s $tarball || -n $(find "$tarball" -mtime +"$CACHE_DAYS") ]]; then
    say "building a minimal Debian 12 root (mmdebstrap --variant=minbase --include=$INCLUDE $SUITE)"
    tmp_tarball=${tarball/minbase/minbase.new.$$}
    mmdebstrap --quiet --variant=minbase --include="$INCLUDE" "$SUITE" "$tmp_tarball" </dev/null ||
      { rm -f "$tmp_tarball"; die "mmdebstrap could not build the root"; }
    mv -f "$tmp_tarball" "$tarball"
  else
    say "reusing the cached root $tarball (--rebuild for a new one)"
  fi

  root=$(mktemp -d "$CACHE/root.XXXXXX")
  logs=$CACHE/logs${FRESH_LOGS_SUFFIX:-}            # the last run's, one file per step
  rm -rf "$logs"
  mkdir -p "$logs"
  trap fresh_root_cleanup EXIT
  trap 'say "FAIL: interrupted"; exit 130' INT TERM

  tar -C "$root" -xf "$tarball"
  say "root ready in $((SECONDS - start)) s: $root"

  if compgen -G '/etc/apt/sources.list*' >/dev/null; then
    rm -rf "$root/etc/apt/sources.list" "$root/etc/apt/sources.list.d"
    cp -a /etc/apt/sources.list* "$root/etc/apt/"
  fi
  for d in apt.conf.d trusted.gpg.d keyrings; do
    [[ -d /etc/apt/$d ]] && mkdir -p "$root/etc/apt/$d" && cp -a "/etc/apt/$d/." "$root/etc/apt/$d/"
  done
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  # The machine's npm configuration too, as its apt's: the registry it
  # reaches (make test installs two Node.js clients from it).
  local npmrc
  for npmrc in /etc/npmrc /usr/etc/npmrc /root/.npmrc; do
    if [[ -f $npmrc ]]; then
      mkdir -p "$root${npmrc%/*}"
      rm -f "$root$npmrc"                       # never write through a link
      cp -L "$npmrc" "$root$npmrc"
    fi
  done
  # And the certificate authorities it trusts besides Debian's (a proxy's,
  # on some networks), which that configuration may name.
  if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
  fi
  if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
    mkdir -p "$root/etc/ssl/certs"
    rm -f "$root/etc/ssl/certs/ca-certificates.crt"     # never write through a link
    cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  fi
  # As in every chroot or container image: packages may not start their
  # services (redis-server's would listen on the host's port 6379).
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"

  for m in "${MOUNTS[@]}"; do
    mkdir -p "$root/$m"
    mount --bind "/$m" "$root/$m" ||
      die "cannot bind-mount /$m into the root (root without CAP_SYS_ADMIN, e.g. an unprivileged container?)"
  done
}

# in_root NAME CMD [PREFIX...]: runs CMD (bash -c) as root in the root, with
# a clean environment (no PATH or python of the host's), PREFIX (e.g.
# unshare --net) in front of chroot; output to the terminal and to
# $logs/NAME.log.  Returns CMD's exit status.
in_root() {
  local name=$1 cmd=$2
  shift 2
  # In the background, and waited for: bash runs a trap (SIGINT, SIGTERM)
  # during `wait`, but only after a foreground command has ended.
  "$@" chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "$cmd" 2>&1 | tee "$logs/$name.log" &
  wait "$!"    # pipefail: the command's status, unless tee failed
}
