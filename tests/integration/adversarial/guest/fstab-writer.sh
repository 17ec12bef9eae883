# shellcheck shell=sh
# shellcheck disable=SC2016  # the sh -c scripts expand their own positional arguments
# A second fstab writer that respects efs_tls_mount's lock (flock on /etc/.fstab.efs.lock).
#   sh fstab-writer.sh after-line MOUNTPOINT LINE
#       wait (<= 120 s) until fstab has a line for MOUNTPOINT, then append LINE under the lock
#   sh fstab-writer.sh loop STOPFILE LOG MOUNTPOINT
#       until STOPFILE exists (<= 400 times), every ~0.3 s: under the lock (held 0.1 s longer),
#       insert "# adv-writer N" before the line "# adv-writer-zone-end" with sed -i (a rewrite
#       and rename, like an editor; the file keeps its missing final newline), then log
#       "N yes|no": whether fstab already had efs_tls_mount's line for MOUNTPOINT
set -eu
FSTAB=/etc/fstab
LOCK=/etc/.fstab.efs.lock
export LC_ALL=C
case $1 in
  after-line)
    i=0
    while [ $i -lt 240 ] && ! grep -q "[[:space:]]$2[[:space:]]" "$FSTAB"; do i=$((i + 1)); sleep 0.5; done
    flock "$LOCK" sh -c '[ -z "$(tail -c 1 "$2")" ] || printf "\n" >> "$2"; printf "%s\n" "$1" >> "$2"' _ "$3" "$FSTAB" ;;
  loop)
    i=0
    while [ ! -f "$2" ] && [ $i -lt 400 ]; do
      i=$((i + 1))
      flock "$LOCK" sh -c '
        sleep 0.1
        sed -i "/^# adv-writer-zone-end\$/i # adv-writer $1" "$2"
        if grep -Eq "^fs-[0-9a-f]+:/ $4 efs _netdev,tls" "$2"; then echo "$1 yes"; else echo "$1 no"; fi >> "$3"' _ "$i" "$FSTAB" "$3" "$4"
      sleep 0.2
    done ;;
  *) echo "usage: fstab-writer.sh after-line MOUNTPOINT LINE | loop STOPFILE LOG MOUNTPOINT" >&2; exit 2 ;;
esac
