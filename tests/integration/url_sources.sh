#!/usr/bin/env bash
# One `bitflow download` / `bitflow info` for every kind of source, against real servers
# on 127.0.0.1: SFTP from OpenSSH's sshd (key login, known_hosts checked), FTPS from
# vsftpd (implicit TLS, a private CA), and a .torrent served by nginx whose data
# comes from a `bitflow seed`; and a fetcher a program registers (the yt-dlp example).
#
#   url_sources.sh <bitflow-cli> <scratch-dir>
#
# Checks: SFTP over 4 connections is byte-identical; a host key that is not the server's
# and a missing file each end at once (no retries) with the reason and no file; `info`
# of an SFTP and an FTPS URL gives the exact size; a URL of a .torrent downloads the
# torrent byte-identical and `info` of it names the same info-hash as the local file.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../servers/servers.sh"
init "$@"
trap 'kill "${SEED_PID:-}" 2>/dev/null || true; stop_servers' EXIT

[[ -x /usr/sbin/sshd ]] || missing "required tool sshd (openssh-server) is not installed"
[[ -x /usr/sbin/vsftpd ]] || missing "required tool vsftpd is not installed"
require_tool nginx
require_tool ssh-keygen

data=$SCRATCH/data
random_file "$data/big.bin" $((9 * 1024 * 1024 + 777))
size=$(stat -c %s "$data/big.bin")

# run <expected-exit> <log> <command...>: the CLI, 60 s at most.
run() {
  local want=$1 log=$2 status=0
  shift 2
  timeout -k 5 60 "$BITFLOW" "$@" >"$log" 2>&1 </dev/null || status=$?
  [[ $status == "$want" ]] || die "bitflow $* exited $status, expected $want: $(tail -n 3 "$log")"
}

step "SFTP: 4 connections, key login, known host: byte-identical"
start_sftp "$SCRATCH/sshd" || die "sshd did not start: $(tail -n 5 "$SCRATCH/sshd/sshd.log")"
ssh_opts=(--ssh-key "$SCRATCH/sshd/client_key" --ssh-known-hosts "$SCRATCH/sshd/known_hosts")
run 0 "$SCRATCH/sftp.log" download "$SFTP_URL$data/big.bin" -o "$SCRATCH/sftp" -x 4 -k 1M \
  "${ssh_opts[@]}" --quiet
cmp "$data/big.bin" "$SCRATCH/sftp/big.bin" || die "the SFTP download differs"
[[ -z $(find "$SCRATCH/sftp" -name '*.part*') ]] || die ".part files left: $(ls "$SCRATCH/sftp")"
# One login for the size probe and one per connection: a single stream would be two.
logins=$(grep -c 'Accepted publickey' "$SCRATCH/sshd/sshd.log" || true)
((logins >= 5)) || die "expected a probe and 4 connections (5 logins), sshd saw $logins"

step "SFTP: info gives the size"
run 0 "$SCRATCH/sftp-info.log" info --json "$SFTP_URL$data/big.bin" "${ssh_opts[@]}"
grep -q "\"size\":$size" "$SCRATCH/sftp-info.log" || die "info: $(cat "$SCRATCH/sftp-info.log")"

step "SFTP: a host key that is not the server's is refused at once"
ssh-keygen -q -t ed25519 -N '' -f "$SCRATCH/other_key"
echo "$(cut -d' ' -f1 "$SCRATCH/sshd/known_hosts") $(cut -d' ' -f1,2 "$SCRATCH/other_key.pub")" \
  >"$SCRATCH/wrong_known_hosts"
run 1 "$SCRATCH/sftp-bad.log" download "$SFTP_URL$data/big.bin" -o "$SCRATCH/sftp-bad" \
  --ssh-key "$SCRATCH/sshd/client_key" --ssh-known-hosts "$SCRATCH/wrong_known_hosts" --quiet
grep -q "remote key was not OK" "$SCRATCH/sftp-bad.log" || die "no reason: $(cat "$SCRATCH/sftp-bad.log")"
! grep -q "gave up" "$SCRATCH/sftp-bad.log" || die "an untrusted host was retried"
[[ ! -e $SCRATCH/sftp-bad/big.bin ]] || die "a file from an untrusted host got its final name"

step "SFTP: a missing file is final"
run 1 "$SCRATCH/sftp-404.log" download "$SFTP_URL$data/no-such.bin" -o "$SCRATCH/sftp-404" \
  "${ssh_opts[@]}" --quiet
! grep -q "gave up" "$SCRATCH/sftp-404.log" || die "a missing file was retried: $(cat "$SCRATCH/sftp-404.log")"

step "FTPS (vsftpd, implicit TLS): 4 verified connections, byte-identical"
start_ftps "$SCRATCH/vsftpd" || die "vsftpd did not start"
cp "$data/big.bin" "$SCRATCH/vsftpd/files/"
run 0 "$SCRATCH/ftps.log" download "$FTPS_URL/big.bin" -o "$SCRATCH/ftps" -x 4 -k 1M \
  --cacert "$SCRATCH/vsftpd/cert.pem" --quiet
cmp "$data/big.bin" "$SCRATCH/ftps/big.bin" || die "the FTPS download differs"
retrievals=$(grep -cE '(OK|FAIL) DOWNLOAD' "$SCRATCH/vsftpd/vsftpd.log" || true)
((retrievals >= 4)) || die "expected at least 4 ranged retrievals, vsftpd logged $retrievals"
run 1 "$SCRATCH/ftps-bad.log" download "$FTPS_URL/big.bin" -o "$SCRATCH/ftps-bad" --quiet
grep -qi "certificate" "$SCRATCH/ftps-bad.log" || die "no reason: $(cat "$SCRATCH/ftps-bad.log")"
! grep -q "gave up" "$SCRATCH/ftps-bad.log" || die "an untrusted server was retried"
[[ ! -e $SCRATCH/ftps-bad/big.bin ]] || die "a file from an untrusted server got its final name"

step "FTPS: info gives the size"
run 0 "$SCRATCH/ftps-info.log" info --json "$FTPS_URL/big.bin" --cacert "$SCRATCH/vsftpd/cert.pem"
grep -q "\"size\":$size" "$SCRATCH/ftps-info.log" || die "info: $(cat "$SCRATCH/ftps-info.log")"
run 1 "$SCRATCH/ftps-untrusted.log" info "$FTPS_URL/big.bin"
grep -qi "certificate" "$SCRATCH/ftps-untrusted.log" || die "no reason: $(cat "$SCRATCH/ftps-untrusted.log")"

step "a URL of a .torrent: the torrent downloads from its peer"
start_nginx "$SCRATCH/nginx" || die "nginx did not start"
run 0 "$SCRATCH/create.log" create "$data" -o "$SCRATCH/nginx/www/data.torrent" --piece-size 262144
start_bitflow_seed "$SCRATCH/nginx/www/data.torrent" "$data" "$SCRATCH/seed.log"
port=$SEED_PORT
run 0 "$SCRATCH/turl.log" download "$NGINX_URL/data.torrent" -o "$SCRATCH/turl" \
  --peer "127.0.0.1:$port" --no-trackers --quiet
cmp "$data/big.bin" "$SCRATCH/turl/data/big.bin" || die "the torrent from a URL differs"

step "info of a URL of a .torrent names the same torrent"
run 0 "$SCRATCH/turl-info.log" info --json "$NGINX_URL/data.torrent"
run 0 "$SCRATCH/local-info.log" info --json "$SCRATCH/nginx/www/data.torrent"
cmp "$SCRATCH/turl-info.log" "$SCRATCH/local-info.log" || die "info of the URL differs from the file's"
step "a registered fetcher (examples/ytdlp_fetcher.cpp) takes its hosts; others stay bitflow's"
require_tool yt-dlp
example=$(dirname "$BITFLOW")/ytdlp_fetcher
[[ -x $example ]] || die "examples/ytdlp_fetcher is not built next to the CLI ($example)"
cp "$data/big.bin" "$SCRATCH/nginx/www/clip.mp4"
# yt-dlp's generic extractor takes a direct video URL; the example registers 127.0.0.1.
timeout -k 5 120 "$example" --host 127.0.0.1 "$NGINX_URL/clip.mp4" "$SCRATCH/video" \
  >"$SCRATCH/video.out" 2>"$SCRATCH/video.log" </dev/null ||
  die "ytdlp_fetcher failed: $(tail -n 3 "$SCRATCH/video.log")"
grep -q '^video source' "$SCRATCH/video.log" || die "not the registered fetcher: $(head -n 2 "$SCRATCH/video.log")"
grep -q '^running: [0-9]* of [0-9]* bytes' "$SCRATCH/video.log" || die "no progress from yt-dlp"
file=$(cat "$SCRATCH/video.out")
[[ $file == "$SCRATCH/video/"* ]] || die "ytdlp_fetcher wrote outside its folder: $file"
cmp "$data/big.bin" "$file" || die "the video fetched through yt-dlp differs"
timeout -k 5 60 "$example" "$NGINX_URL/clip.mp4" "$SCRATCH/plain" >"$SCRATCH/plain.out" \
  2>"$SCRATCH/plain.log" </dev/null || die "ytdlp_fetcher (plain URL) failed: $(tail -n 3 "$SCRATCH/plain.log")"
grep -q '^http source' "$SCRATCH/plain.log" || die "a host not registered left bitflow's fetcher"
cmp "$data/big.bin" "$SCRATCH/plain/clip.mp4" || die "the plain download differs"
echo "OK"
