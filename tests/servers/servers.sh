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
