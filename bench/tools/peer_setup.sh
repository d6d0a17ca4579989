# Sourced by bench/compare.sh and bench/scale.sh: installing the peers. Needs
# log/warn/die, INSTALL (0: install nothing), APT_PACKAGES and WORK set by the
# caller; sets NODE_DIR and NODE_PATH (sharp lives in $WORK/node, not committed).
apt_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

# apt-get with retries: another apt/dpkg may hold the lock for a while.
apt_retry() {
  local attempt
  for attempt in 1 2 3 4 5 6; do
    if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@"; then
      return 0
    fi
    warn "apt-get $* failed (attempt $attempt); waiting for the dpkg/apt lock and retrying in 20 s"
    sleep 20
  done
  return 1
}

ensure_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do apt_installed "$p" || missing+=("$p"); done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "Debian packages present: ${APT_PACKAGES[*]}"
    return 0
  fi
  [[ $INSTALL == 1 ]] || die "missing Debian packages (and --no-install given): ${missing[*]}"
  [[ $(id -u) == 0 ]] || die "missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  if ! apt-cache policy libvips-tools 2>/dev/null | grep -Eq 'Candidate: [0-9]'; then
    log "package lists have no libvips-tools candidate: running apt-get update"
    apt_retry update -q || die "apt-get update failed"
  fi
  apt_retry install -y -q --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]} failed"
}

NODE_DIR=$WORK/node
export NODE_PATH=$NODE_DIR/node_modules

sharp_version_spec() {
  if [[ -n ${SHARP_VERSION:-} ]]; then echo "$SHARP_VERSION"; return; fi
  # sharp 0.35 needs node >= 20.9; 0.34 still supports node 18 (Debian 12's).
  if node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a==20&&b>=9)?0:1)'; then
    echo "0.35"
  else
    echo "0.34"
  fi
}

ensure_sharp() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    [[ $INSTALL == 1 && $(id -u) == 0 ]] || die "node and npm are needed for sharp (apt-get install nodejs npm)"
    log "installing Debian nodejs and npm"
    apt_retry install -y -q nodejs npm || die "apt-get install nodejs npm failed"
  fi
  if node -e "require('sharp')" >/dev/null 2>&1; then
    log "sharp present in $NODE_DIR"
    return 0
  fi
  [[ $INSTALL == 1 ]] || die "sharp is not installed in $NODE_DIR (and --no-install given)"
  local spec
  spec=$(sharp_version_spec)
  log "installing sharp@$spec from the npm registry into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  [[ -f $NODE_DIR/package.json ]] || \
    printf '{ "name": "imgflow-bench-peers", "private": true, "description": "scratch, not committed" }\n' \
      >"$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error "sharp@$spec") \
    || die "npm install sharp@$spec failed"
  node -e "require('sharp')" || die "sharp installed but cannot be loaded"
}

