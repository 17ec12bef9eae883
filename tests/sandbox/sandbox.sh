#!/usr/bin/env bash
# The sandbox: Debian guests under qemu, each with a fake EFS mount target, plus the EFS API
# emulator. See tests/sandbox/README.md.
#   sandbox.sh up [--guests N] [--release bookworm|trixie] [--modes "RELAY/LAYOUT ..."]
#   sandbox.sh down
#   sandbox.sh ssh HOST [CMD...]
#   sandbox.sh reboot HOST
#   sandbox.sh status
#   sandbox.sh provision        (re-provision the mount targets of running guests)
# Environment: SANDBOX_ACCEL=auto|tcg|kvm (auto: use KVM only if a probe boots), SANDBOX_MEM
# (MiB, default 512), SANDBOX_BOOT_TIMEOUT (s, default 420), EFS_UTILS_DEB (a real package),
# SANDBOX_MODES (as --modes). --modes gives each guest in turn (cycling) the relay its mounts use
# (efs-proxy or stunnel: efs_client_relay) and the stand-in's file layout (deb: efs-proxy in
# /usr/bin, rpm: /sbin/mount.efs and /sbin/efs-proxy as upstream's RPM). Default: efs-proxy/deb (efs-utils 2.x/3.x's relay).
# Guests reach http://10.0.2.100/ = $SB_STATE/www on the controller (a package mirror for tests).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
TIER=${TIER:-sandbox}
TIER_START=${TIER_START:-$SECONDS}

BOOT_TIMEOUT=${SANDBOX_BOOT_TIMEOUT:-420}
MEM=${SANDBOX_MEM:-512}
# Under TCG the kernel's crypto self-tests alone took ~25 s (soft lockups in modprobe), and
# the blacklisted modules only cost boot time in a headless guest.
APPEND="root=/dev/vda rw console=ttyS0 quiet systemd.show_status=false net.ifnames=0 cryptomgr.notests mitigations=off"
APPEND+=" modprobe.blacklist=floppy,parport_pc,ppdev,pcspkr,cfg80211,kvm_amd,kvm_intel,kvm,joydev,serio_raw"
# CPU-feature crypto drivers that udev loads for -cpu max; userspace TLS does not use them.
APPEND+=",aesni_intel,ghash_clmulni_intel,polyval_clmulni,sha1_ssse3,sha256_ssse3,sha512_ssse3,crc32_pclmul,crct10dif_pclmul"

guests() {
  local d
  for d in "$SB_STATE"/guest*/; do [ -f "$d/port" ] && basename "$d"; done | sort -V
}

# --- acceleration -------------------------------------------------------------------------
# /dev/kvm exists on these machines but a nested KVM guest hangs before printing anything, so
# KVM is used only when a kernel boots under it within a few seconds. The result is cached per
# host boot.
pick_accel() {
  local img=$1 want=${SANDBOX_ACCEL:-auto} boot_id cache probe
  case $want in
    tcg) echo tcg; return ;;
    kvm) echo kvm; return ;;
    auto) ;;
    *) die "SANDBOX_ACCEL must be auto, tcg or kvm" ;;
  esac
  if [ ! -w /dev/kvm ]; then echo tcg; return; fi
  boot_id=$(cat /proc/sys/kernel/random/boot_id)
  cache="$SB_CACHE/accel.$boot_id"
  if [ ! -f "$cache" ]; then
    probe=$(mktemp)
    log "probing KVM (up to 15s)"
    timeout 15 qemu-system-x86_64 -accel kvm -cpu host -m 256 -kernel "$img/vmlinuz" \
      -append "console=ttyS0 panic=-1" -display none -serial "file:$probe" -no-reboot \
      >/dev/null 2>&1 || true
    if grep -q "Kernel panic" "$probe"; then echo kvm > "$cache"; else echo tcg > "$cache"; fi
    rm -f "$probe"
  fi
  cat "$cache"
}

# --- guests -------------------------------------------------------------------------------
boot_guest() {
  local name=$1 img=$2 accel=$3 dir="$SB_STATE/$1" port cpu
  mkdir -p "$dir"
  rm -f "$dir/disk.qcow2" "$dir/console.log" "$dir/pid"
  # A fresh overlay per guest: the cached base image stays pristine.
  qemu-img create -q -f qcow2 -F raw -b "$img/disk.raw" "$dir/disk.qcow2"
  touch "$img/.complete"
  port=$(sb_free_port)
  cpu=max
  [ "$accel" = kvm ] && cpu=host
  rm -f "$dir/stop"
  # The package mirror: http://10.0.2.100/ in the guest serves $SB_STATE/www (empty unless a tier
  # puts a repository there); qemu runs http-stdio.py per connection, nothing else is reachable.
  local mirror=""
  mkdir -p "$SB_STATE/www"
  if [[ "$SANDBOX_DIR$SB_STATE" != *[,\ ]* ]]; then
    mirror=",guestfwd=tcp:10.0.2.100:80-cmd:python3 $SANDBOX_DIR/http-stdio.py $SB_STATE/www"
  else
    log "$name: no package mirror (a comma or space in $SANDBOX_DIR or $SB_STATE)"
  fi
  # Not daemonized: run-guest.sh restarts qemu when the guest reboots. setsid keeps the guest
  # out of the caller's process group; `down` stops it by pid.
  setsid "$SANDBOX_DIR/run-guest.sh" "$dir" -name "$name" -accel "$accel" -cpu "$cpu" -m "$MEM" -smp 1 \
    -kernel "$img/vmlinuz" -initrd "$img/initrd.img" -append "$APPEND" \
    -drive "file=$dir/disk.qcow2,if=virtio,format=qcow2,cache=unsafe" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:22$mirror" \
    -device virtio-net-pci,netdev=n0 -device virtio-rng-pci \
    -nodefaults -display none \
    -chardev "file,id=console,path=$dir/console.log,append=on" -serial chardev:console \
    -monitor "unix:$dir/monitor.sock,server,nowait" \
    </dev/null >"$dir/run-guest.log" 2>&1 &
  echo $! > "$dir/supervisor.pid"
  for _ in $(seq 1 50); do [ -s "$dir/pid" ] && break; sleep 0.1; done
  sb_pid_alive "$(cat "$dir/pid" 2>/dev/null)" || { cat "$dir/run-guest.log" >&2; die "qemu failed to start $name"; }
  echo "$port" > "$dir/port"
  log "$name: qemu pid $(cat "$dir/pid") (supervisor $(cat "$dir/supervisor.pid")), ssh on 127.0.0.1:$port, console $dir/console.log"
}

# Waits until HOST answers SSH (and, if given, reports a boot id other than OLD_BOOT_ID).
wait_ssh() {
  local name=$1 old=${2:-} t0=$SECONDS next=10 pid bid
  pid=$(cat "$SB_STATE/$name/supervisor.pid")
  while :; do
    sb_pid_alive "$pid" || { tail -n 20 "$SB_STATE/$name/console.log" "$SB_STATE/$name/run-guest.log" >&2; die "$name: qemu exited"; }
    if bid=$(sb_ssh "$name" cat /proc/sys/kernel/random/boot_id 2>/dev/null) \
      && [ -n "$bid" ] && [ "$bid" != "$old" ]; then
      log "$name: SSH up after $(( SECONDS - t0 ))s"
      return 0
    fi
    if [ $(( SECONDS - t0 )) -ge "$BOOT_TIMEOUT" ]; then
      tail -n 20 "$SB_STATE/$name/console.log" >&2
      die "$name: no SSH after ${BOOT_TIMEOUT}s"
    fi
    if [ $(( SECONDS - t0 )) -ge "$next" ]; then
      log "$name: waiting for SSH ($(( SECONDS - t0 ))s)"
      next=$(( next + 15 ))
    fi
    sleep 2
  done
}

stop_guest() {
  local name=$1 dir="$SB_STATE/$1" pid spid
  touch "$dir/stop"
  spid=$(cat "$dir/supervisor.pid" 2>/dev/null || true)
  pid=$(cat "$dir/pid" 2>/dev/null || true)
  sb_ssh_close "$name"
  sb_pid_is "$spid" run-guest.sh || spid=
  sb_pid_is "$pid" "$dir/disk.qcow2" || pid=
  [ -n "$spid" ] && kill "$spid" 2>/dev/null
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  for _ in $(seq 1 20); do sb_pid_alive "$pid" || sb_pid_alive "$spid" || break; sleep 0.25; done
  sb_pid_is "$pid" "$dir/disk.qcow2" && kill -9 "$pid" 2>/dev/null
  sb_pid_is "$spid" run-guest.sh && kill -9 "$spid" 2>/dev/null
  log "$name: stopped qemu pid ${pid:-?} and its supervisor ${spid:-?}"
  # Keep the last run's console for post-mortems; the overlay goes.
  mkdir -p "$SB_STATE/logs"
  for f in console.log run-guest.log provision.log; do
    [ -f "$dir/$f" ] && mv "$dir/$f" "$SB_STATE/logs/$name-$f"
  done
  rm -rf "$dir"
}

# Runs a command on every guest at once; fails if any fails.
on_all_guests() {
  local g pids=() rc=0 p
  for g in $(guests); do
    "$@" "$g" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return "$rc"
}

# --- emulator -----------------------------------------------------------------------------
# tests/emulator/emulator.sh when it exists; otherwise a plain moto server (no /_emulator/
# controls, no DeleteFileSystemPolicy).
start_emulator() {
  local em="$REPO/tests/emulator/emulator.sh" port url
  if [ -x "$em" ]; then
    "$em" start >&2 || die "emulator.sh start failed"
    url=$("$em" url)
    echo script > "$SB_STATE/emulator.kind"
    log "emulator: tests/emulator at $url"
  else
    command -v moto_server >/dev/null || die "moto_server not found (is the venv set up?)"
    port=$(sb_free_port)
    url="http://127.0.0.1:$port"
    moto_server -H 127.0.0.1 -p "$port" > "$SB_STATE/moto.log" 2>&1 &
    echo $! > "$SB_STATE/moto.pid"
    echo moto > "$SB_STATE/emulator.kind"
    for _ in $(seq 1 60); do
      curl -fs "$url/moto-api/" >/dev/null 2>&1 && break
      python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" "$url/moto-api/" \
        >/dev/null 2>&1 && break
      sleep 0.5
    done
    log "emulator: tests/emulator/emulator.sh not found; plain moto_server pid $(cat "$SB_STATE/moto.pid") at $url"
  fi
  echo "$url" > "$SB_STATE/emulator.url"
}

stop_emulator() {
  local kind pid
  kind=$(cat "$SB_STATE/emulator.kind" 2>/dev/null || true)
  case $kind in
    script) "$REPO/tests/emulator/emulator.sh" stop >&2 || log "emulator.sh stop failed" ;;
    moto)
      pid=$(cat "$SB_STATE/moto.pid" 2>/dev/null || true)
      if sb_pid_is "$pid" moto_server; then kill "$pid"; log "stopped moto_server pid $pid"; fi
      rm -f "$SB_STATE/moto.pid" ;;
  esac
  rm -f "$SB_STATE/emulator.kind" "$SB_STATE/emulator.url"
}

# One file system per guest, created in the emulator; writes "guestN fs-id" lines.
create_file_systems() {
  local n=$1
  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION="$SB_REGION" \
    python3 - "$(cat "$SB_STATE/emulator.url")" "$n" > "$SB_STATE/filesystems" <<'EOF'
import sys
import boto3
url, n = sys.argv[1], int(sys.argv[2])
efs = boto3.client("efs", endpoint_url=url)
for i in range(1, n + 1):
    fs = efs.create_file_system(CreationToken=f"sandbox-guest{i}", PerformanceMode="generalPurpose",
                                Encrypted=True, Tags=[{"Key": "Name", "Value": f"sandbox-guest{i}"}])
    print(f"guest{i} {fs['FileSystemId']}")
EOF
  log "file systems: $(tr '\n' ' ' < "$SB_STATE/filesystems")"
}

# --- mount helper package -----------------------------------------------------------------
prepare_package() {
  local out="$SB_STATE/pkg" deb
  rm -rf "$out" "$SB_STATE/package_file" "$SB_STATE/pkg-rpm" "$SB_STATE/package_file.rpm"
  mkdir -p "$out"
  if [ -n "${EFS_UTILS_DEB:-}" ]; then
    [ -f "$EFS_UTILS_DEB" ] || die "EFS_UTILS_DEB=$EFS_UTILS_DEB does not exist"
    cp "$EFS_UTILS_DEB" "$out/"
    echo "real amazon-efs-utils ($(basename "$EFS_UTILS_DEB"), from EFS_UTILS_DEB)" > "$SB_STATE/helper"
  elif [ -x "$REPO/tests/standin/build-deb.sh" ]; then
    "$REPO/tests/standin/build-deb.sh" "$out" >&2 || die "tests/standin/build-deb.sh failed"
    echo "stand-in amazon-efs-utils (tests/standin, never shipped)" > "$SB_STATE/helper"
  else
    echo "none: tests/standin/build-deb.sh does not exist yet and EFS_UTILS_DEB is unset" > "$SB_STATE/helper"
    log "mount helper: $(cat "$SB_STATE/helper"); efs_client_package_file stays unset"
    return 0
  fi
  deb=$(find "$out" -maxdepth 1 -name '*.deb' -print -quit)
  [ -n "$deb" ] || die "no .deb produced in $out"
  echo "$deb" > "$SB_STATE/package_file"
  log "mount helper: $(cat "$SB_STATE/helper"): $deb"
  # The RPM layout exists only for the stand-in (a real .deb has its own).
  if [ -z "${EFS_UTILS_DEB:-}" ] && grep -q '/rpm$' "$SB_STATE/modes"; then
    deb=$(STANDIN_LAYOUT=rpm "$REPO/tests/standin/build-deb.sh" "$SB_STATE/pkg-rpm") || die "build-deb.sh (rpm layout) failed"
    echo "$deb" > "$SB_STATE/package_file.rpm"
    log "mount helper, RPM layout: $deb"
  fi
}

# "RELAY/LAYOUT ..." -> one line per guest in $SB_STATE/modes (the list repeats when shorter).
write_modes() {
  local n=$1 spec specs i
  read -ra specs <<< "${2:-efs-proxy/deb}"
  [ "${#specs[@]}" -gt 0 ] || die "--modes is empty"
  for spec in "${specs[@]}"; do
    [[ $spec =~ ^(efs-proxy|stunnel)/(deb|rpm)$ ]] || die "bad mode '$spec': want efs-proxy|stunnel / deb|rpm"
  done
  : > "$SB_STATE/modes"
  for i in $(seq 0 $(( n - 1 ))); do echo "${specs[$(( i % ${#specs[@]} ))]}" >> "$SB_STATE/modes"; done
}

# --- provisioning -------------------------------------------------------------------------
provision_guest() {
  local name=$1 n idx=0 fs args=()
  # Every guest serves every sandbox file system: 127.0.1.<index> per file system.
  while read -r _g fs; do
    idx=$(( idx + 1 ))
    args+=("$fs:$idx")
  done < "$SB_STATE/filesystems"
  n=${name#guest}
  # One SSH connection (each costs seconds under TCG): the files as a tar stream, then the script.
  tar -C "$SB_STATE" -cf - \
    --transform "s|^$(basename "$SANDBOX_DIR")/guest/||" -C "$(dirname "$SANDBOX_DIR")" \
    "$(basename "$SANDBOX_DIR")/guest/provision-target.sh" "$(basename "$SANDBOX_DIR")/guest/sandbox-target" \
    "$(basename "$SANDBOX_DIR")/guest/sandbox-demux.py" -C "$SB_STATE" \
    --exclude pki/ca.key --exclude pki/untrusted-ca.key pki \
    | sb_ssh "$name" "rm -rf /root/sandbox-provision && mkdir -p /root/sandbox-provision &&
        tar -C /root/sandbox-provision -xf - &&
        bash /root/sandbox-provision/provision-target.sh --hostname $name --region $SB_REGION ${args[*]}" \
    > "$SB_STATE/$name/provision.log" 2>&1 \
    || { tail -20 "$SB_STATE/$name/provision.log" >&2; die "$name: provisioning failed"; }
  log "$name: mount target provisioned ($n of $(guests | wc -l))"
}

# --- outputs ------------------------------------------------------------------------------
write_outputs() {
  local g fs url pkg ca="$SB_STATE/pki/ca.pem" first_fs port n mode gpkg
  url=$(cat "$SB_STATE/emulator.url")
  pkg=$(cat "$SB_STATE/package_file" 2>/dev/null || true)
  n=$(guests | wc -l)
  first_fs=$(awk 'NR==1{print $2}' "$SB_STATE/filesystems")
  {
    echo "# Written by tests/sandbox/sandbox.sh up; regenerated on every up."
    echo "all:"
    echo "  children:"
    echo "    efs_clients:"
    echo "      hosts:"
    for g in $(guests); do
      port=$(sb_guest_port "$g")
      fs=$(awk -v g="$g" '$1==g{print $2}' "$SB_STATE/filesystems")
      mode=$(sed -n "${g#guest}p" "$SB_STATE/modes")
      gpkg=$pkg
      [ "${mode#*/}" = rpm ] && [ -s "$SB_STATE/package_file.rpm" ] && gpkg=$(cat "$SB_STATE/package_file.rpm")
      echo "        $g:"
      echo "          ansible_host: 127.0.0.1"
      echo "          ansible_port: $port"
      echo "          sandbox_file_system_id: $fs"
      # The relay the tests expect on this guest, and the stand-in layout it runs.
      echo "          sandbox_relay: ${mode%/*}"
      echo "          sandbox_layout: ${mode#*/}"
      echo "          efs_client_relay: ${mode%/*}"
      if [ -n "$gpkg" ]; then
        echo "          efs_client_package_file: $gpkg"
      else
        echo "          # efs_client_package_file unset: $(cat "$SB_STATE/helper")"
      fi
      echo "          efs_client_mounts:"
      echo "            - file_system_id: $fs"
      echo "              path: /mnt/efs"
    done
    echo "      vars:"
    # A non-root login with passwordless sudo, as on EC2 images: the playbooks use become.
    echo "        ansible_user: admin"
    echo "        ansible_ssh_private_key_file: $SB_KEY"
    echo "        ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
    echo "        ansible_python_interpreter: /usr/bin/python3"
    echo "        ansible_pipelining: true"
  } > "$SB_STATE/inventory.yml"
  {
    echo "# Extra vars for playbooks/site.yml (-e @$SB_STATE/vars.yml); written by sandbox.sh up."
    echo "efs_aws_endpoint_url: $url"
    echo "efs_policy_file_systems:"
    while read -r _g fs; do echo "  - file_system_id: $fs"; done < "$SB_STATE/filesystems"
    echo "efs_client_install_method: file"
    echo "# efs_client_package_file and efs_client_relay: per guest, in the inventory (--modes)"
    echo "efs_client_ca_file: $ca"
    echo "efs_client_region: $SB_REGION"
    # Extra vars beat host vars: with one guest the mount list can live here; with several,
    # each guest mounts its own file system (inventory host vars).
    if [ "$n" = 1 ]; then
      echo "efs_client_mounts:"
      echo "  - file_system_id: $first_fs"
      echo "    path: /mnt/efs"
    fi
    echo "efs_client_report_dir: $SB_STATE/report"
  } > "$SB_STATE/vars.yml"
  {
    echo "# Written by tests/sandbox/sandbox.sh up: . \$BUILD/sandbox/env"
    echo "export AWS_ACCESS_KEY_ID=testing"
    echo "export AWS_SECRET_ACCESS_KEY=testing"
    echo "export AWS_REGION=$SB_REGION"
    echo "export AWS_DEFAULT_REGION=$SB_REGION"
    echo "export EFS_EMULATOR_URL=$url"
    echo "export SANDBOX_INVENTORY=$SB_STATE/inventory.yml"
    echo "export SANDBOX_VARS=$SB_STATE/vars.yml"
    echo "export SANDBOX_CA_FILE=$ca"
    echo "export SANDBOX_FILE_SYSTEMS=\"$(awk '{print $2}' "$SB_STATE/filesystems" | tr '\n' ' ' | sed 's/ $//')\""
    echo "export SANDBOX_PACKAGE_FILE=\"$pkg\""
    echo "export SANDBOX_HELPER=\"$(cat "$SB_STATE/helper")\""
    echo "export SANDBOX_MODES=\"$(tr '\n' ' ' < "$SB_STATE/modes" | sed 's/ $//')\""
  } > "$SB_STATE/env"
  mkdir -p "$SB_STATE/report"
}

# --- commands -----------------------------------------------------------------------------
cmd_up() {
  local n=1 release=bookworm img accel g t0=$SECONDS modes=${SANDBOX_MODES:-}
  while [ $# -gt 0 ]; do
    case $1 in
      --guests) n=$2; shift 2 ;;
      --release) release=$2; shift 2 ;;
      --modes) modes=$2; shift 2 ;;
      *) die "usage: sandbox.sh up [--guests N] [--release bookworm|trixie] [--modes \"RELAY/LAYOUT ...\"]" ;;
    esac
  done
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "--guests must be a positive number"
  if [ -n "$(guests)" ] || [ -f "$SB_STATE/emulator.kind" ]; then
    log "a sandbox is already up: taking it down first"
    cmd_down
  fi
  trap 'rc=$?; if [ $rc != 0 ]; then log "up failed: tearing down"; cmd_down; fi' EXIT
  mkdir -p "$SB_STATE"
  echo "$release" > "$SB_STATE/release"
  write_modes "$n" "$modes"

  img=$(sb_timed "image ($release)" "$SANDBOX_DIR/build-image.sh" --release "$release") || die "image build failed"
  accel=$(pick_accel "$img")
  log "qemu accelerator: $accel (override with SANDBOX_ACCEL=tcg|kvm)"
  local tb=$SECONDS
  for g in $(seq 1 "$n"); do boot_guest "guest$g" "$img" "$accel"; done
  # While the guests boot: emulator, file systems, certificates, package.
  sb_timed "emulator start" start_emulator
  sb_timed "file systems" create_file_systems "$n"
  local fs_ids
  mapfile -t fs_ids < <(awk '{print $2}' "$SB_STATE/filesystems")
  sb_timed "test PKI" "$SANDBOX_DIR/pki.sh" "$SB_STATE/pki" "$SB_REGION" "${fs_ids[@]}" \
    || die "test PKI failed"
  sb_timed "mount helper package" prepare_package
  on_all_guests wait_ssh || die "a guest did not boot"
  log "boot to SSH ($n guest(s), $accel) took $(( SECONDS - tb ))s"
  sb_timed "mount target provisioning" on_all_guests provision_guest || die "provisioning failed"
  write_outputs
  trap - EXIT
  log "sandbox up in $(( SECONDS - t0 ))s: $n guest(s), inventory $SB_STATE/inventory.yml, vars $SB_STATE/vars.yml, env $SB_STATE/env"
  log "mount helper: $(cat "$SB_STATE/helper"); modes: $(tr '\n' ' ' < "$SB_STATE/modes")"
}

cmd_down() {
  local g
  for g in $(guests); do stop_guest "$g"; done
  # Directories of guests whose port file never got written (failed boots).
  for g in "$SB_STATE"/guest*/; do
    [ -d "$g" ] || continue
    stop_guest "$(basename "$g")"
  done
  stop_emulator
  rm -f "$SB_STATE/inventory.yml" "$SB_STATE/vars.yml" "$SB_STATE/env" "$SB_STATE/filesystems" "$SB_STATE/modes"
  log "sandbox down"
}

cmd_ssh() {
  [ $# -ge 1 ] || die "usage: sandbox.sh ssh HOST [CMD...]"
  local host=$1
  shift
  if [ $# -eq 0 ]; then
    exec ssh "${SB_SSH_OPTS[@]/BatchMode=yes/BatchMode=no}" -t -p "$(sb_guest_port "$host")" root@127.0.0.1
  fi
  exec ssh "${SB_SSH_OPTS[@]}" -p "$(sb_guest_port "$host")" root@127.0.0.1 "$@"
}

cmd_reboot() {
  [ $# -eq 1 ] || die "usage: sandbox.sh reboot HOST"
  local host=$1 old t0=$SECONDS
  old=$(sb_ssh "$host" cat /proc/sys/kernel/random/boot_id) || die "$host: not reachable"
  sb_ssh "$host" 'systemd-run --quiet --on-active=1 --timer-property=AccuracySec=10ms systemctl reboot' || die "$host: reboot failed"
  sb_ssh_close "$host"
  log "$host: rebooting"
  wait_ssh "$host" "$old"
  log "$host: reboot took $(( SECONDS - t0 ))s"
}

cmd_status() {
  local g pid state
  if [ -z "$(guests)" ]; then echo "sandbox: down"; return 0; fi
  echo "release: $(cat "$SB_STATE/release" 2>/dev/null || echo ?)"
  echo "emulator: $(cat "$SB_STATE/emulator.url" 2>/dev/null || echo none)"
  echo "mount helper: $(cat "$SB_STATE/helper" 2>/dev/null || echo ?)"
  for g in $(guests); do
    pid=$(cat "$SB_STATE/$g/pid" 2>/dev/null || true)
    if sb_pid_alive "$pid"; then
      state=$(sb_ssh "$g" systemctl is-system-running 2>/dev/null || true)
      echo "$g: qemu pid $pid, ssh 127.0.0.1:$(sb_guest_port "$g"), system ${state:-unreachable}, fs $(awk -v g="$g" '$1==g{print $2}' "$SB_STATE/filesystems" 2>/dev/null), mode $(sed -n "${g#guest}p" "$SB_STATE/modes" 2>/dev/null)"
    else
      echo "$g: qemu not running"
    fi
  done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  ssh) cmd_ssh "$@" ;;
  reboot) cmd_reboot "$@" ;;
  status) cmd_status ;;
  provision) sb_timed "mount target provisioning" on_all_guests provision_guest ;;
  *) die "usage: sandbox.sh up [--guests N] [--release R] | down | ssh HOST [CMD] | reboot HOST | status" ;;
esac
