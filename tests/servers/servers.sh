# servers.sh — start and stop the real servers the URL fetcher is tested against (nginx
# for HTTP, python3-pyftpdlib for FTP), each on a free port of 127.0.0.1 with files of its
# own under a folder the caller gives, stopped by PID. Source it; do not run it.
#
#   start_nginx DIR      serves DIR/www at $NGINX_URL (http://127.0.0.1:PORT):
#                          /            the files, with Range, If-Range and ETag
#                          /slow/       the same files at NGINX_RATE per connection (2m)
#                          /fail503     503 Service Unavailable, always
#                        DIR/access.log has one line per request: "REQUEST STATUS BYTES",
#                        nginx_bytes_sent PATH-PREFIX adds up the bodies sent under it.
#   start_ftp DIR USER PASS   serves DIR at $FTP_URL (ftp://USER:PASS@127.0.0.1:PORT)
#   start_s3rver DIR BUCKET   npm's s3rver at $S3RVER_URL (presigned-URL expiry; see below)
#   stop_servers         stops everything started (also on exit, through the caller's trap)
# shellcheck shell=bash

SERVERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SERVERS_PYTHON=/usr/bin/python3
_SERVER_PIDS=()

_server_probe() {
  "$SERVERS_PYTHON" "$SERVERS_DIR/../trackers/probe.py" "$@"
}

# _wait_for_port PORT PID NAME: until PORT accepts connections (10 s at most), or PID died.
_wait_for_port() {
  local port=$1 pid=$2 name=$3 deadline=$((SECONDS + 10))
  while ! _server_probe tcp "$port" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "servers.sh: $name exited at start" >&2; return 1; }
    ((SECONDS < deadline)) || { echo "servers.sh: $name did not listen on $port within 10 s" >&2; return 1; }
    sleep 0.05  # poll interval of a deadline-bounded wait
  done
}

start_nginx() {
  local dir=$1 port
  command -v nginx >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
  command -v nginx >/dev/null 2>&1 || { echo "servers.sh: nginx is not installed" >&2; return 1; }
  port=$(_server_probe free-port) || return 1
  mkdir -p "$dir/www" "$dir/tmp"
  : >"$dir/access.log"
  cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  log_format bytes '\$request \$status \$body_bytes_sent';
  access_log $dir/access.log bytes;
  default_type application/octet-stream;
  types { video/mp4 mp4; application/x-bittorrent torrent; }
  sendfile on;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    root $dir/www;
    location /slow/ { alias $dir/www/; limit_rate ${NGINX_RATE:-2m}; }
    location = /fail503 { return 503; }
  }
}
CONF
  nginx -p "$dir" -c "$dir/nginx.conf" 2>>"$dir/error.log" &
  local pid=$!
  _SERVER_PIDS+=("$pid")
  _wait_for_port "$port" "$pid" nginx || return 1
  NGINX_URL=http://127.0.0.1:$port
  NGINX_LOG=$dir/access.log
}

# nginx_bytes_sent PREFIX: the body bytes nginx sent for requests whose path starts so.
nginx_bytes_sent() {
  awk -v p="$1" '$2 ~ "^" p { sum += $NF } END { print sum + 0 }' "$NGINX_LOG"
}

start_ftp() {
  local dir=$1 user=$2 pass=$3 port
  port=$(_server_probe free-port) || return 1
  local low=$((port % 20000 + 40000))
  "$SERVERS_PYTHON" -m pyftpdlib -i 127.0.0.1 -p "$port" -d "$dir" -u "$user" -P "$pass" \
    -r "$low-$((low + 50))" >"$dir.ftp.log" 2>&1 &
  local pid=$!
  _SERVER_PIDS+=("$pid")
  _wait_for_port "$port" "$pid" pyftpdlib || return 1
  FTP_URL=ftp://$user:$pass@127.0.0.1:$port
}

stop_servers() {
  local pid deadline
  for pid in "${_SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${_SERVER_PIDS[@]}"; do
    deadline=$((SECONDS + 5))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
  done
  _SERVER_PIDS=()
}

# tls_certificate DIR: a self-signed certificate for 127.0.0.1 in DIR/cert.pem (key in
# DIR/key.pem), which clients trust with --cacert DIR/cert.pem.
tls_certificate() {
  local dir=$1
  [[ -s $dir/cert.pem ]] && return 0
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
}

# start_ftps DIR: vsftpd serving DIR/files to anonymous users over implicit TLS at
# $FTPS_URL (ftps://127.0.0.1:PORT), certificate DIR/cert.pem.
start_ftps() {
  local dir=$1 port
  [[ -x /usr/sbin/vsftpd ]] || { echo "servers.sh: vsftpd is not installed" >&2; return 1; }
  port=$(_server_probe free-port) || return 1
  local low=$((port % 20000 + 40100))
  mkdir -p "$dir/files" "$dir/empty"
  chmod 755 "$dir/files" "$dir/empty"
  tls_certificate "$dir" || return 1
  # vsftpd refuses a config file that is not owned by the user running it.
  cat >"$dir/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$port
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$dir/files
local_enable=NO
write_enable=NO
ftp_username=ftp
nopriv_user=nobody
secure_chroot_dir=$dir/empty
pasv_enable=YES
pasv_min_port=$low
pasv_max_port=$((low + 50))
pasv_address=127.0.0.1
seccomp_sandbox=NO
ssl_enable=YES
implicit_ssl=YES
allow_anon_ssl=YES
force_anon_logins_ssl=YES
force_anon_data_ssl=YES
require_ssl_reuse=NO
ssl_ciphers=HIGH
rsa_cert_file=$dir/cert.pem
rsa_private_key_file=$dir/key.pem
xferlog_enable=YES
vsftpd_log_file=$dir/vsftpd.log
CONF
  /usr/sbin/vsftpd "$dir/vsftpd.conf" >"$dir/vsftpd.out" 2>&1 &
  local pid=$!
  _SERVER_PIDS+=("$pid")
  _wait_for_port "$port" "$pid" vsftpd || { cat "$dir/vsftpd.out" >&2; return 1; }
  FTPS_URL=ftps://127.0.0.1:$port
}

# start_sftp DIR: OpenSSH's sshd with a private config and a host key of its own; the
# current user logs in with the key DIR/client_key only. Sets SFTP_URL
# (sftp://USER@127.0.0.1:PORT) and writes the server's key to DIR/known_hosts.
start_sftp() {
  local dir=$1 port
  [[ -x /usr/sbin/sshd ]] || { echo "servers.sh: sshd is not installed" >&2; return 1; }
  port=$(_server_probe free-port) || return 1
  mkdir -p "$dir"
  [[ -s $dir/host_key ]] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" || return 1
  [[ -s $dir/client_key ]] || ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key" || return 1
  cp "$dir/client_key.pub" "$dir/authorized_keys"
  chmod 600 "$dir/authorized_keys"
  # sshd insists on its privilege separation folder, which Debian creates only at boot.
  [[ -d /run/sshd ]] || mkdir -p -m 755 /run/sshd
  cat >"$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
CONF
  /usr/sbin/sshd -D -e -f "$dir/sshd_config" >"$dir/sshd.log" 2>&1 &
  local pid=$!
  _SERVER_PIDS+=("$pid")
  _wait_for_port "$port" "$pid" sshd || { cat "$dir/sshd.log" >&2; return 1; }
  echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host_key.pub")" >"$dir/known_hosts"
  SFTP_URL=sftp://$(id -un)@127.0.0.1:$port
}

# start_moto DIR: moto_server in auth mode (SigV4 checked) at $MOTO_URL, with an IAM user
# allowed everything and its keys in $MOTO_KEY_ID / $MOTO_SECRET, and a bucket $MOTO_BUCKET.
# moto ships only with this machine image's pyenv Python: returns 2 when it is absent (the
# caller skips), 1 on any other failure. The first 4 requests are unauthenticated
# (INITIAL_NO_AUTH_ACTION_COUNT): user, policy, attachment, access key; the bucket is
# created with the new key.
MOTO_PYTHON=${MOTO_PYTHON:-/root/.pyenv/versions/3.11.7/bin/python}
MOTO_SERVER=${MOTO_SERVER:-/root/.pyenv/versions/3.11.7/bin/moto_server}
start_moto() {
  local dir=$1 port pid keys
  [[ -x $MOTO_SERVER && -x $MOTO_PYTHON ]] || { echo "servers.sh: moto_server is not installed" >&2; return 2; }
  "$MOTO_PYTHON" -c 'import boto3' 2>/dev/null || { echo "servers.sh: boto3 is not installed next to moto" >&2; return 2; }
  port=$(_server_probe free-port) || return 1
  mkdir -p "$dir"
  INITIAL_NO_AUTH_ACTION_COUNT=4 "$MOTO_SERVER" -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
  pid=$!
  _SERVER_PIDS+=("$pid")
  _wait_for_port "$port" "$pid" moto_server || return 1
  MOTO_URL=http://127.0.0.1:$port
  MOTO_BUCKET=bitflow-test
  keys=$(timeout -k 2 60 "$MOTO_PYTHON" "$SERVERS_DIR/moto_setup.py" "$MOTO_URL" "$MOTO_BUCKET") ||
    { echo "servers.sh: moto setup failed" >&2; return 1; }
  read -r MOTO_KEY_ID MOTO_SECRET <<<"$keys"
}

# start_moto_for_test DIR: start_moto, skipping the test (lib.sh's skip) where moto is
# absent and failing it where moto does not start; then the AWS environment of the moto
# user and nothing of the caller's (no profile, no files, no session token).
start_moto_for_test() {
  local rc=0
  start_moto "$1" || rc=$?
  ((rc != 2)) || skip "moto_server is not installed (it comes only with the pyenv Python 3.11.7)"
  ((rc == 0)) || die "moto_server did not start: $(tail -5 "$1/moto.log" 2>/dev/null)"
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION
  export AWS_CONFIG_FILE=$SCRATCH/no-config AWS_SHARED_CREDENTIALS_FILE=$SCRATCH/no-credentials
  export AWS_ACCESS_KEY_ID=$MOTO_KEY_ID AWS_SECRET_ACCESS_KEY=$MOTO_SECRET
  export AWS_ENDPOINT_URL=$MOTO_URL AWS_REGION=us-east-1
}

# The AWS CLI as the reference client: run "$AWS_CLI" ARGS... (tests/servers/aws_cli.sh:
# Debian's /usr/bin/aws first, else the pyenv one next to moto, always with --endpoint-url
# "$AWS_ENDPOINT_URL"). require_aws_cli: the test cannot go on without one (lib.sh's
# `missing`: a failure under CI, where scripts/setup.sh installs awscli; a skip elsewhere).
AWS_CLI=$SERVERS_DIR/aws_cli.sh
require_aws_cli() {
  local program
  program=$("$AWS_CLI" --program) || missing "no AWS CLI: neither /usr/bin/aws (Debian's awscli) nor the pyenv one next to moto"
  echo "-- reference client: $program ($("$program" --version 2>&1 | cut -d' ' -f1))"
}

# start_s3_fault_proxy DIR UPSTREAM [--rate=BYTES] RULE...: tests/servers/s3_fault_proxy.py
# in front of UPSTREAM at $FAULT_PROXY_URL; the faults it served and the answers it
# forwarded ("sent METHOD TARGET STATUS BYTES") are logged in DIR/faults.log.
start_s3_fault_proxy() {
  local dir=$1 upstream=$2 pid deadline
  shift 2
  mkdir -p "$dir"
  rm -f "$dir/port"
  "$SERVERS_PYTHON" "$SERVERS_DIR/s3_fault_proxy.py" "$dir/port" "$upstream" "$@" 2>"$dir/faults.log" &
  pid=$!
  _SERVER_PIDS+=("$pid")
  deadline=$((SECONDS + 10))
  while [[ ! -s $dir/port ]]; do
    kill -0 "$pid" 2>/dev/null || { echo "servers.sh: the fault proxy exited at start" >&2; return 1; }
    ((SECONDS < deadline)) || { echo "servers.sh: the fault proxy did not start within 10 s" >&2; return 1; }
    sleep 0.05  # poll interval of a deadline-bounded wait
  done
  FAULT_PROXY_URL=http://127.0.0.1:$(cat "$dir/port")
}

# start_s3rver DIR BUCKET: npm's s3rver (S3RVER_VERSION, in S3RVER_NPM_DIR, where
# scripts/setup.sh puts it; installed there now when it is missing) on a port of
# 127.0.0.1 the kernel picks, with BUCKET made at start and its files under DIR/data, at
# $S3RVER_URL. Its fixed credentials are in $S3RVER_KEY_ID / $S3RVER_SECRET. It enforces
# presigned-URL expiry. Returns 2 when s3rver cannot be installed (no node or npm, no
# registry: the caller skips), 1 when it does not start; its log is DIR/s3rver.log.
S3RVER_VERSION=3.7.1
S3RVER_NPM_DIR=${S3RVER_NPM_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/bitflow-test-npm-s3rver}
S3RVER_KEY_ID=S3RVER
S3RVER_SECRET=S3RVER
_s3rver_installed() {
  grep -qs "\"version\": \"$S3RVER_VERSION\"" "$S3RVER_NPM_DIR/node_modules/s3rver/package.json"
}
# _s3rver_install LOG: once per machine, serialised with flock against a parallel test.
_s3rver_install() {
  _s3rver_installed && return 0
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || return 1
  mkdir -p "$S3RVER_NPM_DIR" || return 1
  (
    exec 9>"$S3RVER_NPM_DIR/.install.lock"
    flock -w 200 9 || exit 1
    _s3rver_installed && exit 0
    echo "servers.sh: installing s3rver@$S3RVER_VERSION into $S3RVER_NPM_DIR" >&2
    timeout 150 npm install --no-audit --no-fund --no-save --fetch-retries=1 \
      --prefix "$S3RVER_NPM_DIR" "s3rver@$S3RVER_VERSION" >"$1" 2>&1
  ) || true
  _s3rver_installed
}
start_s3rver() {
  local dir=$1 bucket=$2 pid port='' deadline
  mkdir -p "$dir/data"
  _s3rver_install "$dir/npm-install.log" ||
    { echo "servers.sh: s3rver@$S3RVER_VERSION cannot be installed: $(tail -n 2 "$dir/npm-install.log" 2>/dev/null)" >&2; return 2; }
  node "$S3RVER_NPM_DIR/node_modules/s3rver/bin/s3rver.js" -d "$dir/data" -a 127.0.0.1 -p 0 \
    --configure-bucket "$bucket" >"$dir/s3rver.log" 2>&1 </dev/null &
  pid=$!
  _SERVER_PIDS+=("$pid")
  # It prints "S3rver listening on 127.0.0.1:PORT" once the bucket exists and it listens.
  deadline=$((SECONDS + 20))
  while [[ -z $port ]]; do
    port=$(sed -n 's/^S3rver listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/s3rver.log")
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || { echo "servers.sh: s3rver exited at start: $(tail -n 3 "$dir/s3rver.log")" >&2; return 1; }
    ((SECONDS < deadline)) || { echo "servers.sh: s3rver did not listen within 20 s" >&2; return 1; }
    sleep 0.05  # poll interval of a deadline-bounded wait
  done
  _wait_for_port "$port" "$pid" s3rver || return 1
  S3RVER_URL=http://127.0.0.1:$port
}

# start_sigv4_query_check DIR UPSTREAM KEY-ID SECRET: tests/servers/sigv4_query_check.py in
# front of UPSTREAM at $SIGV4_CHECK_URL: presigned requests with the signature it computes
# itself go through, others get S3's 403 (it logs each verdict in DIR/verdicts.log).
start_sigv4_query_check() {
  local dir=$1 pid deadline
  mkdir -p "$dir"
  rm -f "$dir/port"
  "$SERVERS_PYTHON" "$SERVERS_DIR/sigv4_query_check.py" "$dir/port" "$2" "$3" "$4" 2>"$dir/verdicts.log" &
  pid=$!
  _SERVER_PIDS+=("$pid")
  deadline=$((SECONDS + 10))
  while [[ ! -s $dir/port ]]; do
    kill -0 "$pid" 2>/dev/null || { echo "servers.sh: sigv4_query_check exited at start" >&2; return 1; }
    ((SECONDS < deadline)) || { echo "servers.sh: sigv4_query_check did not start within 10 s" >&2; return 1; }
    sleep 0.05  # poll interval of a deadline-bounded wait
  done
  SIGV4_CHECK_URL=http://127.0.0.1:$(cat "$dir/port")
}
